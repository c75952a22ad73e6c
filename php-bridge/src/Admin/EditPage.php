<?php
/**
 * Add New / Edit Webhook: the form, its validation, the signing secret (shown once) and its
 * rotation, Send Test Event, and the webhook's latest deliveries.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Events\Catalog;
use MultisiteWebhooks\Events\UltimateMultisite;
use MultisiteWebhooks\Messages;
use MultisiteWebhooks\Plugin;
use MultisiteWebhooks\Settings;
use MultisiteWebhooks\Store\Webhooks;

/**
 * The edit screen.
 */
final class EditPage
{
    /** Seconds a new secret waits to be shown (once) after the redirect. */
    private const SECRET_TTL = 10 * MINUTE_IN_SECONDS;

    private Plugin $plugin;

    /** Field errors of the last post: field => messages. @var array<string, list<string>> */
    private array $errors = [];

    /** Values of the last post (shown again with its errors). @var array<string, mixed>|null */
    private ?array $posted = null;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * The webhook being edited (0 = a new one).
     */
    private static function id(): int
    {
        return isset($_REQUEST['id']) ? absint($_REQUEST['id']) : 0; // No nonce needed: an id; actions are verified.
    }

    /**
     * Before output: save, rotate the secret or delete, then redirect; on validation errors
     * the form is shown again with the values posted.
     */
    public function load(): void
    {
        if (self::id() > 0) {
            // The page is registered as "Add New Webhook"; editing one says so in the browser's title too.
            $GLOBALS['title'] = __('Edit Webhook', 'multisite-webhooks');
        }
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') !== 'POST') {
            return;
        }
        $id = self::id();
        $action = isset($_POST['mwh_action']) ? sanitize_key(wp_unslash((string) $_POST['mwh_action'])) : ''; // No nonce needed: verified per action below.
        $nonces = ['rotate' => 'multisite_webhooks_rotate_', 'delete' => 'multisite_webhooks_delete_', 'save' => 'multisite_webhooks_save_'];
        if (!isset($nonces[$action])) {
            return;
        }
        Admin::guard($nonces[$action] . $id);
        if ($id > 0 && $this->plugin->webhooks()->get($id) === null) {
            $this->redirect(Admin::url(Admin::PAGE_LIST, ['mwh_msg' => 'not_found']));
        }
        switch ($action) {
            case 'rotate':
                $secret = $this->plugin->webhooks()->rotateSecret($id);
                if ($secret !== null) {
                    self::keepSecret($id, $secret);
                }
                $this->redirect(Admin::url(Admin::PAGE_EDIT, ['id' => $id, 'mwh_msg' => 'rotated']));
                // No break: redirect() exits.
            case 'delete':
                $n = $this->plugin->webhooks()->delete($id) ? 1 : 0;
                $this->redirect(Admin::url(Admin::PAGE_LIST, ['mwh_msg' => 'deleted', 'mwh_n' => $n]));
                // No break: redirect() exits.
            case 'save':
                $this->save($id);
                return;
        }
    }

    /**
     * Validates and stores the posted form.
     */
    private function save(int $id): void
    {
        // No nonce needed: Admin::guard() verified the nonce.
        $input = [
            'name' => isset($_POST['name']) ? wp_unslash((string) $_POST['name']) : '', // Plain text; validate() cleans it, output escapes it.
            'webhook_url' => isset($_POST['webhook_url']) ? trim(wp_unslash((string) $_POST['webhook_url'])) : '',
            'events' => isset($_POST['events']) ? array_map('sanitize_text_field', array_map('strval', (array) wp_unslash($_POST['events']))) : [],
            'payload_format' => isset($_POST['payload_format']) ? sanitize_key(wp_unslash((string) $_POST['payload_format'])) : 'flat',
            'active' => !empty($_POST['active']),
            'headers' => self::postedHeaders(),
        ];
        if ($id !== 0) {
            $hook = $this->plugin->webhooks()->get($id);
            // A webhook the engine disabled is shown with Active unticked: ticking it is the
            // explicit "turn it on again"; leaving it unticked keeps it as it is.
            if ($hook !== null && $hook['disabled_reason'] !== '' && !$input['active']) {
                unset($input['active']);
            }
        }
        $saved = $this->plugin->operations()->saveWebhook($id === 0 ? null : $id, $input);
        if (is_wp_error($saved)) {
            foreach ($saved->get_error_codes() as $field) {
                $this->errors[(string) $field] = $saved->get_error_messages($field);
            }
            $this->posted = $input + ['active' => false];
            return;
        }
        $flags = $saved['url_checked'] ? [] : ['mwh_unchecked' => 1];
        if ($id === 0) {
            self::keepSecret($saved['id'], (string) $saved['secret']);
            $this->redirect(Admin::url(Admin::PAGE_EDIT, ['id' => $saved['id'], 'mwh_msg' => 'created'] + $flags));
        }
        $this->redirect(Admin::url(Admin::PAGE_EDIT, ['id' => $id, 'mwh_msg' => 'saved'] + $flags));
    }

    /**
     * The Headers rows of the form: `{name, value}` each, trimmed, blank rows dropped. A value
     * left empty keeps the saved one (Webhooks::unmask()).
     *
     * @return list<array{name:string, value:string}>
     */
    private static function postedHeaders(): array
    {
        // No nonce needed: Admin::guard() verified the nonce.
        $rows = isset($_POST['headers']) && is_array($_POST['headers']) ? wp_unslash($_POST['headers']) : []; // Header text as typed: HeaderRule checks it, output escapes it.
        $out = [];
        foreach ((array) $rows as $row) {
            $row = is_array($row) ? $row : [];
            $name = is_string($row['name'] ?? null) ? trim($row['name']) : '';
            $value = is_string($row['value'] ?? null) ? trim($row['value']) : '';
            if ($name !== '' || $value !== '') {
                $out[] = ['name' => $name, 'value' => $value];
            }
        }
        return $out;
    }

    /**
     * Keeps a new secret for the next view of the edit page by this user (then forgets it).
     */
    private static function keepSecret(int $id, string $secret): void
    {
        set_site_transient(self::secretKey($id), $secret, self::SECRET_TTL);
    }

    private static function secretKey(int $id): string
    {
        return 'mwh_secret_' . get_current_user_id() . '_' . $id;
    }

    /**
     * @return never
     */
    private function redirect(string $url): void
    {
        wp_safe_redirect($url);
        exit;
    }

    /**
     * The page.
     */
    public function render(): void
    {
        if (!current_user_can(Plugin::CAPABILITY)) {
            wp_die(esc_html__('Only network administrators can manage webhooks.', 'multisite-webhooks'), 403);
        }
        $id = self::id();
        $hook = $id > 0 ? $this->plugin->webhooks()->get($id, true) : null;
        if ($id > 0 && $hook === null) {
            echo '<div class="wrap"><h1>' . esc_html__('Edit Webhook', 'multisite-webhooks') . '</h1><div class="notice notice-error"><p>'
                . esc_html__('That webhook no longer exists.', 'multisite-webhooks') . '</p></div></div>';
            return;
        }
        $values = $this->posted ?? [
            'name' => $hook['name'] ?? '',
            'webhook_url' => $hook['webhook_url'] ?? '',
            'events' => $hook['events'] ?? [],
            'payload_format' => $hook['payload_format'] ?? 'flat',
            // Saved values are never put back into the page: the rows show the names only.
            'headers' => array_map(static fn (string $name): array => ['name' => $name, 'value' => ''], array_keys((array) ($hook['headers'] ?? []))),
            // Disabled by the engine: Active starts unticked; ticking it turns the webhook on again.
            'active' => $hook === null ? true : ($hook['active'] && $hook['disabled_reason'] === ''),
        ];
        echo '<div class="wrap mwh-wrap">';
        echo '<h1 class="wp-heading-inline">' . esc_html($hook === null ? __('Add New Webhook', 'multisite-webhooks') : __('Edit Webhook', 'multisite-webhooks')) . '</h1> ';
        if ($hook !== null) {
            printf('<a href="%s" class="page-title-action">%s</a>', esc_url(Admin::url(Admin::PAGE_EDIT)), esc_html__('Add New Webhook', 'multisite-webhooks'));
        }
        echo '<hr class="wp-header-end">';
        $more = $this->errors ? [['error', __('The webhook was not saved. Correct the fields marked below.', 'multisite-webhooks')]] : [];
        Admin::messages($more);
        if ($hook !== null) {
            $this->renderSecret($hook);
            if ($hook['disabled_reason'] !== '') {
                printf('<div class="notice notice-error"><p>%s</p></div>', esc_html(sprintf(
                    /* translators: %s: reason */
                    __('This webhook was disabled: %s Tick "Active" and save to turn it on again.', 'multisite-webhooks'),
                    \MultisiteWebhooks\Notices::disabledReason($hook)
                )));
            }
            if (!$hook['url_checked']) {
                printf(
                    '<div class="notice notice-warning"><p>%s %s</p></div>',
                    esc_html__('This webhook\'s address was saved without the engine\'s address check (no engine in this PHP process).', 'multisite-webhooks'),
                    esc_html__('The first process with the engine checks it, and turns the webhook off with the reason if the address is refused.', 'multisite-webhooks')
                );
            }
        }
        echo '<div class="mwh-columns"><div class="mwh-main">';
        $this->renderForm($id, $values);
        echo '</div><div class="mwh-side">';
        if ($hook !== null) {
            $this->renderSideBoxes($hook);
        }
        echo '</div></div>';
        if ($hook !== null) {
            $this->renderDeliveries($id);
        }
        TestDialog::render();
        echo '</div>';
    }

    /**
     * The secret made by the last create or rotation, shown once with a copy button.
     *
     * @param array<string, mixed> $hook
     */
    private function renderSecret(array $hook): void
    {
        $key = self::secretKey((int) $hook['id']);
        $secret = get_site_transient($key);
        if (!is_string($secret) || $secret === '') {
            return;
        }
        delete_site_transient($key);
        ?>
        <div class="notice notice-warning mwh-secret" id="mwh-secret">
            <p><strong><?php esc_html_e('Signing secret', 'multisite-webhooks'); ?></strong> —
                <?php esc_html_e('copy it now: it is shown only this once. The receiver uses it to check the webhook-signature header of every request.', 'multisite-webhooks'); ?></p>
            <p class="mwh-copy-row">
                <input type="text" readonly class="large-text code" id="mwh-secret-value" value="<?php echo esc_attr($secret); ?>"
                    aria-label="<?php esc_attr_e('Signing secret', 'multisite-webhooks'); ?>" />
                <button type="button" class="button mwh-copy" data-copy-target="mwh-secret-value"><?php esc_html_e('Copy', 'multisite-webhooks'); ?></button>
            </p>
        </div>
        <?php
    }

    /**
     * The main form.
     *
     * @param array<string, mixed> $values
     */
    private function renderForm(int $id, array $values): void
    {
        echo '<form method="post" id="mwh-webhook-form" novalidate>';
        wp_nonce_field('multisite_webhooks_save_' . $id);
        echo '<input type="hidden" name="mwh_action" value="save" />';
        echo '<table class="form-table" role="presentation"><tbody>';

        $this->row(
            'name',
            __('Name', 'multisite-webhooks'),
            sprintf(
                '<input type="text" name="name" id="mwh-name" class="regular-text" maxlength="191" value="%s" placeholder="%s"%s />',
                esc_attr((string) $values['name']),
                esc_attr__('E.g. Zapier: new customers', 'multisite-webhooks'),
                $this->invalid('name')
            ),
            __('A name to recognise the webhook by.', 'multisite-webhooks')
        );

        $this->row(
            'webhook_url',
            __('URL', 'multisite-webhooks'),
            sprintf(
                '<input type="url" name="webhook_url" id="mwh-webhook_url" class="large-text code" value="%s" placeholder="https://example.com/webhooks"%s />',
                esc_attr((string) $values['webhook_url']),
                $this->invalid('webhook_url')
            ),
            __('Where each event is sent, as an HTTP POST with a JSON body.', 'multisite-webhooks') . ' ' . Messages::retries(Settings::retrySchedule($this->plugin->engineSettings()))
        );

        $this->row(
            'headers',
            __('Headers', 'multisite-webhooks'),
            $this->headerRows((array) ($values['headers'] ?? []), $id),
            __('Sent with every request, for receivers that want a credential of their own (e.g. Authorization: Bearer …, or X-API-Key).', 'multisite-webhooks') . ' '
            . __('Saved values are never shown again: leave a value empty to keep it, clear the name to remove the header.', 'multisite-webhooks'),
            false
        );

        $this->row('events', __('Events', 'multisite-webhooks'), $this->eventsPicker((array) $values['events']), '', false);

        $formats = [
            'flat' => [
                __('The payload itself', 'multisite-webhooks'),
                __('Compatible with Ultimate Multisite\'s webhooks (Zapier templates and existing receivers keep working).', 'multisite-webhooks'),
            ],
            'envelope' => [__('Standard Webhooks envelope', 'multisite-webhooks'), __('{"type": event, "timestamp": ISO 8601, "data": payload}', 'multisite-webhooks')],
        ];
        $radios = '<fieldset><legend class="screen-reader-text">' . esc_html__('Payload format', 'multisite-webhooks') . '</legend>';
        foreach ($formats as $value => [$label, $help]) {
            $radios .= sprintf(
                '<label><input type="radio" name="payload_format" value="%s"%s /> %s</label><p class="description mwh-choice-help">%s</p>',
                esc_attr($value),
                checked($values['payload_format'], $value, false),
                esc_html($label),
                esc_html($help)
            );
        }
        $radios .= '</fieldset>';
        $this->row('payload_format', __('Payload format', 'multisite-webhooks'), $radios, '', false);

        $this->row('active', __('Active', 'multisite-webhooks'), sprintf(
            '<label><input type="checkbox" name="active" id="mwh-active" value="1"%s /> %s</label>',
            checked(!empty($values['active']), true, false),
            esc_html__('Send events to this webhook', 'multisite-webhooks')
        ), '');

        echo '</tbody></table>';
        echo '<h2>' . esc_html__('Example payloads of the selected events', 'multisite-webhooks') . '</h2>';
        echo '<p class="description">' . esc_html__(
            'What the receiver gets for each selected event, in the chosen format (these are examples; live events carry real data).',
            'multisite-webhooks'
        ) . '</p>';
        echo '<div id="mwh-examples" aria-live="polite"></div>';
        submit_button($id === 0 ? __('Add Webhook', 'multisite-webhooks') : __('Save Webhook', 'multisite-webhooks'), 'primary', 'submit', true, ['id' => 'mwh-save']);
        echo '</form>';
    }

    /**
     * The Headers rows: one per header (saved ones show their name, their value masked), and
     * a blank one to add another; "Add header" adds more.
     *
     * @param list<array{name:string, value:string}> $rows
     */
    private function headerRows(array $rows, int $id): string
    {
        $saved = $id > 0 ? (array) ($this->plugin->webhooks()->get($id)['headers'] ?? []) : [];
        $rows[] = ['name' => '', 'value' => ''];
        $html = '<fieldset id="mwh-headers" class="mwh-headers"' . $this->invalid('headers') . '><legend class="screen-reader-text">' . esc_html__('Headers', 'multisite-webhooks') . '</legend>';
        foreach (array_values($rows) as $i => $row) {
            $isSaved = $row['name'] !== '' && array_key_exists($row['name'], $saved);
            $html .= sprintf(
                '<p class="mwh-header-row">'
                . '<input type="text" name="headers[%1$d][name]" class="regular-text code mwh-header-name" value="%2$s" placeholder="%3$s" aria-label="%4$s"'
                . ' autocomplete="off" spellcheck="false" /> '
                . '<input type="password" name="headers[%1$d][value]" class="regular-text code mwh-header-value" value="%5$s" placeholder="%6$s" aria-label="%7$s"'
                . ' autocomplete="new-password" spellcheck="false" /></p>',
                $i,
                esc_attr($row['name']),
                esc_attr__('Header name, e.g. Authorization', 'multisite-webhooks'),
                esc_attr__('Header name', 'multisite-webhooks'),
                esc_attr($row['value']),
                esc_attr($isSaved ? __('saved (leave empty to keep)', 'multisite-webhooks') : __('Value', 'multisite-webhooks')),
                esc_attr__('Header value', 'multisite-webhooks')
            );
        }
        $html .= sprintf('<p><button type="button" class="button" id="mwh-add-header">%s</button></p></fieldset>', esc_html__('Add header', 'multisite-webhooks'));
        return $html;
    }

    /**
     * A form-table row with its error (if any) and help text.
     */
    private function row(string $field, string $label, string $control, string $help, bool $labelled = true): void
    {
        printf(
            '<tr class="%s"><th scope="row">%s</th><td>',
            $this->errors[$field] ?? null ? 'mwh-has-error' : '',
            $labelled ? sprintf('<label for="mwh-%s">%s</label>', esc_attr($field), esc_html($label)) : esc_html($label)
        );
        if (!empty($this->errors[$field])) {
            printf('<p class="mwh-field-error" id="mwh-error-%s" role="alert">%s</p>', esc_attr($field), esc_html(implode(' ', $this->errors[$field])));
        }
        echo $control; // Escaped: built escaped by the caller.
        if ($help !== '') {
            echo '<p class="description">' . esc_html($help) . '</p>';
        }
        echo '</td></tr>';
    }

    /**
     * ` aria-invalid="true" aria-describedby=…` when the field has an error.
     */
    private function invalid(string $field): string
    {
        return empty($this->errors[$field]) ? '' : sprintf(' aria-invalid="true" aria-describedby="mwh-error-%s"', esc_attr($field));
    }

    /**
     * Checkboxes for every event, grouped by source, each with its description; a filter box;
     * and the catalog (names, descriptions, examples) for the example panel.
     *
     * @param list<string> $selected
     */
    private function eventsPicker(array $selected): string
    {
        $events = $this->plugin->catalog()->all();
        $data = [];
        $groups = [];
        foreach ($events as $e) {
            // The example as the plugin's one encoder writes it (the browser only pretty-prints it).
            $data[$e['slug']] = ['name' => $e['name'], 'payload' => \MultisiteWebhooks\Payload::fromValue((array) $e['payload']) ?? '{}'];
            $groups[$e['source']][] = $e;
        }
        $html = '<fieldset id="mwh-events" class="mwh-events-picker"' . $this->invalid('events') . '><legend class="screen-reader-text">' . esc_html__('Events', 'multisite-webhooks') . '</legend>';
        $html .= sprintf(
            '<p><label class="screen-reader-text" for="mwh-events-filter">%1$s</label><input type="search" id="mwh-events-filter" class="regular-text" placeholder="%1$s" /></p>',
            esc_attr__('Filter events', 'multisite-webhooks')
        );
        $html .= sprintf(
            '<p class="mwh-event-all"><label><input type="checkbox" name="events[]" value="*"%s /> <strong>%s</strong></label> <span class="description">%s</span></p>',
            checked(in_array('*', $selected, true), true, false),
            esc_html__('All events', 'multisite-webhooks'),
            esc_html__('Every event below, and events added later.', 'multisite-webhooks')
        );
        $html .= '<div class="mwh-events-list">';
        foreach ([Catalog::SOURCE_WORDPRESS, Catalog::SOURCE_ULTIMATE_MULTISITE, Catalog::SOURCE_CUSTOM] as $source) {
            if (empty($groups[$source])) {
                continue;
            }
            $html .= '<h4>' . esc_html(EventsReference::sourceLabel($source)) . '</h4>';
            foreach ($groups[$source] as $e) {
                $html .= sprintf(
                    '<label class="mwh-event" data-search="%s"><input type="checkbox" name="events[]" value="%s"%s /> <strong>%s</strong> <code>%s</code><span class="description">%s</span></label>',
                    esc_attr(mb_strtolower($e['slug'] . ' ' . $e['name'] . ' ' . $e['description'])),
                    esc_attr($e['slug']),
                    checked(in_array($e['slug'], $selected, true), true, false),
                    esc_html($e['name']),
                    esc_html($e['slug']),
                    esc_html($e['description'])
                );
            }
        }
        // Without Ultimate Multisite its events are still named, greyed: they cannot be chosen
        // until it raises them (one the webhook already hears stays ticked and is kept).
        if (empty($groups[Catalog::SOURCE_ULTIMATE_MULTISITE])) {
            $html .= '<h4>' . esc_html(EventsReference::sourceLabel(Catalog::SOURCE_ULTIMATE_MULTISITE)) . '</h4>';
            foreach (UltimateMultisite::known() as $slug => $e) {
                $kept = in_array($slug, $selected, true);
                $html .= sprintf(
                    '<label class="mwh-event mwh-event-absent" data-search="%s"><input type="checkbox" name="events[]" value="%s"%s /> <strong>%s</strong> <code>%s</code>'
                    . '<span class="description">%s</span><span class="description mwh-event-absent-note">%s</span></label>',
                    esc_attr(mb_strtolower($slug . ' ' . $e['name'] . ' ' . $e['description'])),
                    esc_attr($slug),
                    $kept ? ' checked="checked"' : ' disabled="disabled"',
                    esc_html($e['name']),
                    esc_html($slug),
                    esc_html($e['description']),
                    esc_html($kept ? __('Not raised while Ultimate Multisite is inactive. The subscription is kept.', 'multisite-webhooks')
                        : __('Raised when Ultimate Multisite is active.', 'multisite-webhooks'))
                );
            }
        }
        // Other events this webhook hears whose source is not loaded now: kept, shown as such.
        $missing = array_values(array_filter(
            $selected,
            fn (string $slug): bool => $slug !== '*' && !$this->plugin->catalog()->has($slug) && !(empty($groups[Catalog::SOURCE_ULTIMATE_MULTISITE]) && isset(UltimateMultisite::known()[$slug]))
        ));
        if ($missing !== []) {
            $html .= '<h4>' . esc_html__('Not raised right now', 'multisite-webhooks') . '</h4>';
            foreach ($missing as $slug) {
                $html .= sprintf(
                    '<label class="mwh-event mwh-event-missing" data-search="%s">'
                    . '<input type="checkbox" name="events[]" value="%s" checked="checked" /> <code>%s</code><span class="description">%s</span></label>',
                    esc_attr(mb_strtolower($slug)),
                    esc_attr($slug),
                    esc_html($slug),
                    esc_html(sprintf(
                        /* translators: %s: where the event comes from, e.g. "Ultimate Multisite" */
                        __('Not raised while %s is inactive. The subscription is kept.', 'multisite-webhooks'),
                        UltimateMultisite::sourceOf($slug)
                    ))
                );
            }
        }
        $html .= '</div></fieldset>';
        $html .= '<script type="application/json" id="mwh-catalog">' . wp_json_encode($data, JSON_HEX_TAG | JSON_HEX_AMP | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . '</script>';
        return $html;
    }

    /**
     * Send Test Event, the signing secret and Delete.
     *
     * @param array<string, mixed> $hook
     */
    private function renderSideBoxes(array $hook): void
    {
        $id = (int) $hook['id'];
        echo '<div class="postbox mwh-box"><h2 class="hndle">' . esc_html__('Send Test Event', 'multisite-webhooks') . '</h2><div class="inside">';
        echo '<p>' . esc_html__(
            'Sends one real request now, signed like a live one, with the example payload of the event chosen here, to the saved URL. It is recorded in the delivery log as a test.',
            'multisite-webhooks'
        ) . '</p>';
        printf('<p><label for="mwh-test-event">%s</label><br><select id="mwh-test-event">', esc_html__('Event', 'multisite-webhooks'));
        foreach ($this->plugin->catalog()->all() as $e) {
            printf('<option value="%s"%s>%s</option>', esc_attr($e['slug']), selected($e['slug'], $hook['events'][0] ?? '', false), esc_html($e['name'] . ' (' . $e['slug'] . ')'));
        }
        echo '</select></p>';
        printf(
            '<p><button type="button" class="button button-secondary mwh-send-test" data-webhook-id="%d" data-event-select="mwh-test-event">%s</button></p>',
            $id,
            esc_html__('Send Test Event', 'multisite-webhooks')
        );
        echo '</div></div>';

        echo '<div class="postbox mwh-box"><h2 class="hndle">' . esc_html__('Signing secret', 'multisite-webhooks') . '</h2><div class="inside">';
        $secrets = (array) $hook['secrets'];
        $current = $secrets[0] ?? null;
        if ($current !== null) {
            echo '<p>' . esc_html(sprintf(
                /* translators: %s: date */
                __('In use since %s.', 'multisite-webhooks'),
                wp_date((string) get_option('date_format') . ' ' . (string) get_option('time_format'), (int) ($current['created'] ?? 0))
            )) . '</p>';
        }
        $until = Webhooks::previousValidUntil($secrets);
        if ($until !== null) {
            echo '<p>' . esc_html(sprintf(
                /* translators: %s: date */
                __('The previous secret also signs until %s.', 'multisite-webhooks'),
                wp_date((string) get_option('date_format') . ' ' . (string) get_option('time_format'), $until)
            )) . '</p>';
        }
        echo '<form method="post">';
        wp_nonce_field('multisite_webhooks_rotate_' . $id);
        echo '<input type="hidden" name="mwh_action" value="rotate" />';
        printf(
            '<button type="submit" class="button mwh-confirm" data-confirm="%s">%s</button>',
            esc_attr__('Make a new signing secret? The current one keeps signing for 24 hours.', 'multisite-webhooks'),
            esc_html__('Rotate secret', 'multisite-webhooks')
        );
        echo '</form></div></div>';

        echo '<div class="postbox mwh-box"><h2 class="hndle">' . esc_html__('Delete', 'multisite-webhooks') . '</h2><div class="inside">';
        echo '<form method="post">';
        wp_nonce_field('multisite_webhooks_delete_' . $id);
        echo '<input type="hidden" name="mwh_action" value="delete" />';
        printf(
            '<button type="submit" class="button button-link-delete mwh-confirm" data-confirm="%s">%s</button>',
            esc_attr(sprintf(/* translators: %s: webhook name */ __('Delete the webhook "%s"? Its delivery log is kept until it ages out.', 'multisite-webhooks'), $hook['name'])),
            esc_html__('Delete Webhook', 'multisite-webhooks')
        );
        echo '</form></div></div>';
    }

    /**
     * The webhook's latest attempts.
     */
    private function renderDeliveries(int $id): void
    {
        $rows = $this->plugin->deliveries()->list(['webhook_id' => $id, 'per_page' => 10]);
        echo '<h2>' . esc_html__('Latest deliveries', 'multisite-webhooks') . '</h2>';
        if ($rows === []) {
            echo '<p>' . esc_html__('Nothing was sent to this webhook yet.', 'multisite-webhooks') . '</p>';
            return;
        }
        DeliveriesTable::compact($rows);
        printf('<p><a href="%s">%s</a></p>', esc_url(Admin::url(Admin::PAGE_LOG, ['webhook_id' => $id])), esc_html__('All deliveries of this webhook', 'multisite-webhooks'));
    }
}
