<?php
/**
 * Network Admin → Webhooks → Delivery Log: every attempt, one attempt in detail, and
 * Redeliver (one attempt, the selected ones, or every failed event in a range).
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Options;
use MultisiteWebhooks\Plugin;

/**
 * The delivery log screen.
 */
final class DeliveriesPage
{
    /** Nonce action of the Redeliver links and forms. */
    public const NONCE = 'multisite_webhooks_redeliver';

    /** Most events one "Redeliver all failed" sends again. */
    private const RANGE_MAX = 1000;

    private Plugin $plugin;
    private ?DeliveriesTable $table = null;

    /** Errors of the last redelivery (shown on the page). @var list<string> */
    private array $errors = [];

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Before output: Redeliver actions, then a redirect back.
     */
    public function load(): void
    {
        add_screen_option('per_page', ['default' => DeliveriesTable::PER_PAGE, 'option' => Options::DELIVERIES_PER_PAGE]);
        $this->table = new DeliveriesTable($this->plugin);
        // No nonce needed: Admin::guard() verifies before anything changes.
        $action = $this->table->current_action();
        if ($action === 'redeliver_one' && isset($_REQUEST['delivery'])) {
            Admin::guard(self::NONCE);
            $this->redeliver([absint($_REQUEST['delivery'])], Admin::url(Admin::PAGE_LOG, ['delivery' => absint($_REQUEST['delivery'])]));
        }
        if ($action === 'redeliver_range') {
            Admin::guard(self::NONCE);
            $r = $this->plugin->operations()->redeliverFailed(DeliveriesTable::query(DeliveriesTable::filters()), self::RANGE_MAX);
            foreach ($r['problems'] as $id => $message) {
                /* translators: 1: delivery id, 2: reason */
                $this->errors[] = sprintf(__('Delivery %1$d was not queued again: %2$s', 'multisite-webhooks'), $id, $message);
            }
            if ($this->errors === []) {
                wp_safe_redirect(add_query_arg(['mwh_msg' => 'redelivered', 'mwh_n' => $r['queued']], $this->back()));
                exit;
            }
        }
        if ($action === 'redeliver') {
            Admin::guard('bulk-deliveries');
            $this->redeliver(array_values(array_filter(array_map('absint', (array) ($_REQUEST['deliveries'] ?? [])))), $this->back());
        }
    }

    /**
     * The log URL with the current filters.
     */
    private function back(): string
    {
        return Admin::url(Admin::PAGE_LOG, DeliveriesTable::filters());
    }

    /**
     * Queues each attempt's event again; redirects to `$back` with the count, or stays on the
     * page to show what went wrong.
     *
     * @param list<int> $ids Delivery ids.
     */
    private function redeliver(array $ids, string $back): void
    {
        if ($ids === []) {
            wp_safe_redirect(add_query_arg(['mwh_msg' => 'redelivered', 'mwh_n' => 0], $back));
            exit;
        }
        $done = 0;
        $seen = [];
        foreach ($ids as $id) {
            $d = $this->plugin->deliveries()->get($id);
            $key = $d === null ? '' : $d['event_id'] . '/' . $d['webhook_id'];
            if ($d !== null && isset($seen[$key])) {
                continue; // One event to one webhook is sent again once.
            }
            $seen[$key] = true;
            $r = $this->plugin->operations()->redeliver($id);
            if (is_wp_error($r)) {
                /* translators: 1: delivery id, 2: reason */
                $this->errors[] = sprintf(__('Delivery %1$d was not queued again: %2$s', 'multisite-webhooks'), $id, $r->get_error_message());
                continue;
            }
            $done++;
        }
        if ($this->errors === []) {
            wp_safe_redirect(add_query_arg(['mwh_msg' => 'redelivered', 'mwh_n' => $done], $back));
            exit;
        }
        if ($done > 0) {
            /* translators: %d: number of deliveries */
            array_unshift($this->errors, sprintf(_n('%d delivery was queued again.', '%d deliveries were queued again.', $done, 'multisite-webhooks'), $done));
        }
    }

    /**
     * The page: one attempt (`?delivery=<id>`) or the log.
     */
    public function render(): void
    {
        if (!current_user_can(Plugin::CAPABILITY)) {
            wp_die(esc_html__('Only network administrators can manage webhooks.', 'multisite-webhooks'), 403);
        }
        $more = array_map(static fn (string $e): array => ['error', $e], $this->errors);
        $one = isset($_GET['delivery']) ? absint($_GET['delivery']) : 0; // No nonce needed: display only.
        if ($one > 0) {
            $this->renderOne($one, $more);
            return;
        }
        $table = $this->table ?? new DeliveriesTable($this->plugin);
        $table->prepare_items();
        $f = DeliveriesTable::filters();
        echo '<div class="wrap mwh-wrap"><h1 class="wp-heading-inline">' . esc_html__('Delivery Log', 'multisite-webhooks') . '</h1>';
        if (!empty($f['webhook_id'])) {
            $hook = $this->plugin->webhooks()->get((int) $f['webhook_id']);
            if ($hook !== null) {
                /* translators: %s: webhook name */
                echo ' <span class="subtitle">' . esc_html(sprintf(__('for %s', 'multisite-webhooks'), $hook['name'])) . '</span>';
            }
        }
        echo '<hr class="wp-header-end">';
        Admin::messages($more);
        Admin::tabs(Admin::PAGE_LOG);
        echo '<form method="get" id="mwh-deliveries-form">';
        printf('<input type="hidden" name="page" value="%s" />', esc_attr(Admin::PAGE_LOG));
        $table->display();
        echo '</form>';
        // Posted to the bare log URL: the filters travel as fields (and a Filter click's
        // filter_action in the address would hide the action from the list table).
        printf('<form method="post" class="mwh-range-form" action="%s">', esc_url(Admin::url(Admin::PAGE_LOG)));
        wp_nonce_field(self::NONCE);
        echo '<input type="hidden" name="action" value="redeliver_range" />';
        foreach ($f as $key => $value) {
            printf('<input type="hidden" name="%s" value="%s" />', esc_attr($key), esc_attr((string) $value));
        }
        printf(
            '<p><button type="submit" class="button mwh-confirm" id="mwh-redeliver-range" data-confirm="%s">%s</button> <span class="description">%s</span></p>',
            esc_attr__('Send every event that failed for good and matches these filters again?', 'multisite-webhooks'),
            esc_html__('Redeliver all failed', 'multisite-webhooks'),
            esc_html(sprintf(
                __('Sends again every event that failed for good (and was not delivered since) and matches the filters above: webhook, event and date range.', 'multisite-webhooks')
                /* translators: %d: maximum number of events */
                . ' ' . __('Up to %d at a time, with the same webhook-id, so receivers can tell a repeat.', 'multisite-webhooks'),
                self::RANGE_MAX
            ))
        );
        echo '</form></div>';
    }

    /**
     * One attempt in full.
     *
     * @param list<array{0:string,1:string}> $more
     */
    private function renderOne(int $id, array $more): void
    {
        $d = $this->plugin->deliveries()->get($id);
        echo '<div class="wrap mwh-wrap"><h1 class="wp-heading-inline">' . esc_html__('Delivery', 'multisite-webhooks') . '</h1> ';
        printf('<a class="page-title-action" href="%s">%s</a><hr class="wp-header-end">', esc_url(Admin::url(Admin::PAGE_LOG)), esc_html__('Back to the log', 'multisite-webhooks'));
        Admin::messages($more);
        if ($d === null) {
            echo '<div class="notice notice-error"><p>' . esc_html__('This delivery is no longer in the log.', 'multisite-webhooks') . '</p></div></div>';
            return;
        }
        $hook = $this->plugin->webhooks()->get((int) $d['webhook_id']);
        $facts = [
            __('Time', 'multisite-webhooks') => WebhooksTable::when((string) $d['date_created']),
            __('Webhook', 'multisite-webhooks') => (int) $d['webhook_id'] === 0 ? esc_html__('— (refused before any webhook)', 'multisite-webhooks')
                : ($hook === null ? esc_html__('(deleted)', 'multisite-webhooks')
                : sprintf('<a href="%s">%s</a>', esc_url(Admin::url(Admin::PAGE_EDIT, ['id' => (int) $hook['id']])), esc_html((string) $hook['name']))),
            __('URL', 'multisite-webhooks') => '<code>' . esc_html((string) $d['url']) . '</code>',
            __('Event', 'multisite-webhooks') => '<code>' . esc_html((string) $d['event']) . '</code>',
            __('Message id (webhook-id)', 'multisite-webhooks') => '<code>' . esc_html((string) $d['event_id']) . '</code>',
            __('Attempt', 'multisite-webhooks') => DeliveriesTable::attemptLabel($d),
            __('Status', 'multisite-webhooks') => DeliveriesTable::outcomeLabel($d),
            __('Duration', 'multisite-webhooks') => esc_html(sprintf(
                /* translators: %s: milliseconds */
                __('%s ms', 'multisite-webhooks'),
                number_format_i18n((int) $d['duration_ms'])
            )),
        ];
        if ($d['outcome'] === 'retrying' && !empty($d['next_attempt_at'])) {
            $facts[__('Next retry', 'multisite-webhooks')] = WebhooksTable::when((string) $d['next_attempt_at']);
        }
        echo '<table class="widefat striped mwh-facts" id="mwh-delivery"><tbody>';
        foreach ($facts as $label => $html) {
            printf('<tr><th scope="row">%s</th><td>%s</td></tr>', esc_html($label), $html); // Escaped: escaped above.
        }
        echo '</tbody></table>';
        if (!$d['is_test'] && $d['outcome'] !== \MultisiteWebhooks\Store\Deliveries::REFUSED) {
            printf('<form method="post" class="mwh-redeliver-form" action="%s">', esc_url(Admin::url(Admin::PAGE_LOG)));
            wp_nonce_field(self::NONCE);
            printf('<input type="hidden" name="action" value="redeliver_one" /><input type="hidden" name="delivery" value="%d" />', $id);
            printf(
                '<p><button type="submit" class="button button-primary" id="mwh-redeliver">%s</button> <span class="description">%s</span></p></form>',
                esc_html__('Redeliver', 'multisite-webhooks'),
                esc_html__('Sends this event to the webhook again now, with the same webhook-id.', 'multisite-webhooks')
            );
        }
        $payload = $this->plugin->deliveries()->payload((string) $d['event_id']);
        $decoded = $payload === null ? null : json_decode($payload, true);
        $sections = [
            __('Request headers', 'multisite-webhooks') => self::json($d['request_headers']),
            __('Payload', 'multisite-webhooks') => $payload === null ? __('(no longer kept)', 'multisite-webhooks') : (is_array($decoded) ? EventsReference::pretty($decoded) : $payload),
            __('Response headers', 'multisite-webhooks') => self::json($d['response_headers']),
            __('Response body (excerpt)', 'multisite-webhooks') => (string) $d['response_excerpt'] === '' ? __('(empty)', 'multisite-webhooks') : (string) $d['response_excerpt'],
        ];
        foreach ($sections as $title => $text) {
            printf('<h2>%s</h2><pre class="mwh-json">%s</pre>', esc_html($title), esc_html($text));
        }
        $others = $this->plugin->deliveries()->list(['event_id' => (string) $d['event_id'], 'webhook_id' => (int) $d['webhook_id'], 'per_page' => 50]);
        if (count($others) > 1) {
            echo '<h2>' . esc_html__('Every attempt of this event to this webhook', 'multisite-webhooks') . '</h2>';
            DeliveriesTable::compact($others);
        }
        echo '</div>';
    }

    /**
     * Headers as pretty JSON.
     *
     * @param array<string, mixed> $headers
     */
    private static function json(array $headers): string
    {
        return $headers === [] ? __('(none)', 'multisite-webhooks') : (string) wp_json_encode($headers, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }
}
