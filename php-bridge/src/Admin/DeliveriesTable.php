<?php
/**
 * The delivery log (WP_List_Table): one row per attempt, newest first, filtered by webhook,
 * status, event and time range.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Options;
use MultisiteWebhooks\Store\Deliveries;
use MultisiteWebhooks\Plugin;

if (!class_exists('WP_List_Table')) {
    require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
}

/**
 * Attempts, one per row.
 */
final class DeliveriesTable extends \WP_List_Table
{
    use RowActions;

    /** Rows per page unless the admin chose otherwise in Screen Options. */
    public const PER_PAGE = 50;


    private Plugin $plugin;

    /** @var array<int, string> Webhook names by id. */
    private array $names = [];

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
        parent::__construct(['singular' => 'delivery', 'plural' => 'deliveries', 'ajax' => false]);
    }

    /**
     * The filters of the current request (webhook_id, status, event, since, until), cleaned.
     *
     * @return array<string, string|int>
     */
    public static function filters(): array
    {
        // No nonce needed: read-only filters.
        $f = [];
        if (!empty($_REQUEST['webhook_id'])) {
            $f['webhook_id'] = absint($_REQUEST['webhook_id']);
        }
        $status = isset($_REQUEST['status']) ? sanitize_key(wp_unslash((string) $_REQUEST['status'])) : '';
        if (in_array($status, Deliveries::STATUS_FILTERS, true)) {
            $f['status'] = $status;
        }
        $event = isset($_REQUEST['event']) ? sanitize_text_field(wp_unslash((string) $_REQUEST['event'])) : '';
        if ($event !== '' && preg_match('/^[A-Za-z0-9_.:\-]{1,191}$/', $event)) {
            $f['event'] = $event;
        }
        foreach (['since', 'until'] as $key) {
            $value = isset($_REQUEST[$key]) ? sanitize_text_field(wp_unslash((string) $_REQUEST[$key])) : '';
            if ($value !== '' && strtotime($value) !== false) {
                $f[$key] = $value;
            }
        }
        $tests = isset($_REQUEST['tests']) ? sanitize_key(wp_unslash((string) $_REQUEST['tests'])) : '';
        if (in_array($tests, ['only', 'hide'], true)) {
            $f['tests'] = $tests;
        }
        return $f;
    }

    /**
     * Filters as Deliveries::list() takes them (the range is in the site's time zone).
     *
     * @param array<string, string|int> $f
     * @return array<string, mixed>
     */
    public static function query(array $f): array
    {
        $q = $f;
        foreach (['since', 'until'] as $key) {
            if (isset($f[$key])) {
                $t = (new \DateTimeImmutable((string) $f[$key], wp_timezone()));
                if ($key === 'until' && strlen((string) $f[$key]) <= 10) {
                    $t = $t->setTime(23, 59, 59);
                }
                $q[$key] = $t->setTimezone(new \DateTimeZone('UTC'))->format('Y-m-d H:i:s');
            }
        }
        unset($q['tests']);
        if (isset($f['tests'])) {
            $q['is_test'] = $f['tests'] === 'only' ? '1' : '0';
        }
        return $q;
    }

    /**
     * @return array<string, string>
     */
    public function get_columns(): array
    {
        return [
            'cb' => '<input type="checkbox" />',
            'date_created' => __('Time', 'multisite-webhooks'),
            'webhook' => __('Webhook', 'multisite-webhooks'),
            'event' => __('Event', 'multisite-webhooks'),
            'attempt' => __('Attempt', 'multisite-webhooks'),
            'outcome' => __('Status', 'multisite-webhooks'),
            'duration_ms' => __('Duration', 'multisite-webhooks'),
            'next_attempt_at' => __('Next retry', 'multisite-webhooks'),
        ];
    }

    /**
     * @return array<string, string>
     */
    protected function get_bulk_actions(): array
    {
        return ['redeliver' => __('Redeliver', 'multisite-webhooks')];
    }

    public function prepare_items(): void
    {
        $per = $this->get_items_per_page(Options::DELIVERIES_PER_PAGE, self::PER_PAGE);
        $q = self::query(self::filters());
        $total = $this->plugin->deliveries()->count($q);
        $this->items = $this->plugin->deliveries()->list($q + ['per_page' => $per, 'page' => $this->get_pagenum()]);
        foreach ($this->plugin->webhooks()->list() as $h) {
            $this->names[(int) $h['id']] = (string) $h['name'];
        }
        $this->set_pagination_args(['total_items' => $total, 'per_page' => $per, 'total_pages' => (int) ceil($total / $per)]);
        $this->_column_headers = [$this->get_columns(), get_hidden_columns($this->screen), [], 'date_created'];
    }

    public function no_items(): void
    {
        esc_html_e('No deliveries match. Deliveries appear here a moment after an event is sent.', 'multisite-webhooks');
    }

    /**
     * The filter controls above the table.
     *
     * @param string $which top or bottom.
     */
    protected function extra_tablenav($which): void
    {
        if ($which !== 'top') {
            return;
        }
        $f = self::filters();
        echo '<div class="alignleft actions mwh-filters">';
        printf(
            '<label class="screen-reader-text" for="mwh-filter-webhook">%s</label><select name="webhook_id" id="mwh-filter-webhook"><option value="">%s</option>',
            esc_html__('Filter by webhook', 'multisite-webhooks'),
            esc_html__('All webhooks', 'multisite-webhooks')
        );
        foreach ($this->names as $id => $name) {
            printf('<option value="%d"%s>%s</option>', $id, selected((int) ($f['webhook_id'] ?? 0), $id, false), esc_html($name));
        }
        echo '</select>';
        $statuses = [
            '' => __('All statuses', 'multisite-webhooks'),
            'delivered' => __('Delivered', 'multisite-webhooks'),
            Deliveries::FAILING => __('Failed or retrying', 'multisite-webhooks'),
            'failed' => __('Failed for good', 'multisite-webhooks'),
            'retrying' => __('Retrying', 'multisite-webhooks'),
            'cancelled' => __('Cancelled', 'multisite-webhooks'),
            Deliveries::REFUSED => __('Refused', 'multisite-webhooks'),
        ];
        printf('<label class="screen-reader-text" for="mwh-filter-status">%s</label><select name="status" id="mwh-filter-status">', esc_html__('Filter by status', 'multisite-webhooks'));
        foreach ($statuses as $value => $label) {
            printf('<option value="%s"%s>%s</option>', esc_attr($value), selected((string) ($f['status'] ?? ''), $value, false), esc_html($label));
        }
        echo '</select>';
        printf(
            '<label class="screen-reader-text" for="mwh-filter-event">%s</label><select name="event" id="mwh-filter-event"><option value="">%s</option>',
            esc_html__('Filter by event', 'multisite-webhooks'),
            esc_html__('All events', 'multisite-webhooks')
        );
        foreach ($this->plugin->catalog()->all() as $e) {
            printf('<option value="%s"%s>%s</option>', esc_attr($e['slug']), selected((string) ($f['event'] ?? ''), $e['slug'], false), esc_html($e['slug']));
        }
        echo '</select>';
        $tests = ['' => __('Tests included', 'multisite-webhooks'), 'hide' => __('No tests', 'multisite-webhooks'), 'only' => __('Tests only', 'multisite-webhooks')];
        printf('<label class="screen-reader-text" for="mwh-filter-tests">%s</label><select name="tests" id="mwh-filter-tests">', esc_html__('Test sends', 'multisite-webhooks'));
        foreach ($tests as $value => $label) {
            printf('<option value="%s"%s>%s</option>', esc_attr($value), selected((string) ($f['tests'] ?? ''), $value, false), esc_html($label));
        }
        echo '</select>';
        printf(
            '<label for="mwh-filter-since">%s</label> <input type="date" name="since" id="mwh-filter-since" value="%s" /> ',
            esc_html__('From', 'multisite-webhooks'),
            esc_attr((string) ($f['since'] ?? ''))
        );
        printf(
            '<label for="mwh-filter-until">%s</label> <input type="date" name="until" id="mwh-filter-until" value="%s" /> ',
            esc_html__('to', 'multisite-webhooks'),
            esc_attr((string) ($f['until'] ?? ''))
        );
        submit_button(__('Filter', 'multisite-webhooks'), '', 'filter_action', false, ['id' => 'mwh-filter-submit']);
        echo '</div>';
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_cb($item): string
    {
        return sprintf(
            '<label class="screen-reader-text" for="mwh-d-%1$d">%2$s</label><input type="checkbox" id="mwh-d-%1$d" name="deliveries[]" value="%1$d" />',
            (int) $item['id'],
            esc_html__('Select this delivery', 'multisite-webhooks')
        );
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_date_created(array $item): string
    {
        return sprintf('<a href="%s">%s</a>', esc_url(Admin::url(Admin::PAGE_LOG, ['delivery' => (int) $item['id']])), WebhooksTable::when((string) $item['date_created']));
    }

    /**
     * The row actions of an attempt (under its time, the primary column).
     *
     * @param array<string, mixed> $item
     * @return array<string, string>
     */
    protected function rowActions(array $item): array
    {
        $id = (int) $item['id'];
        $view = Admin::url(Admin::PAGE_LOG, ['delivery' => $id]);
        $actions = ['view' => sprintf('<a href="%s">%s</a>', esc_url($view), esc_html__('View', 'multisite-webhooks'))];
        if (!$item['is_test'] && $item['outcome'] !== Deliveries::REFUSED) {
            $actions['redeliver'] = sprintf(
                '<a href="%s">%s</a>',
                esc_url(wp_nonce_url(Admin::url(Admin::PAGE_LOG, ['action' => 'redeliver_one', 'delivery' => $id]), DeliveriesPage::NONCE)),
                esc_html__('Redeliver', 'multisite-webhooks')
            );
        }
        return $actions;
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_webhook(array $item): string
    {
        $id = (int) $item['webhook_id'];
        if ($id === 0) {
            return esc_html__('— (refused before any webhook)', 'multisite-webhooks');
        }
        if (!isset($this->names[$id])) {
            /* translators: %d: webhook id */
            return esc_html(sprintf(__('#%d (deleted)', 'multisite-webhooks'), $id));
        }
        return sprintf('<a href="%s">%s</a>', esc_url(Admin::url(Admin::PAGE_LOG, ['webhook_id' => $id])), esc_html($this->names[$id]));
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_event(array $item): string
    {
        return '<code>' . esc_html((string) $item['event']) . '</code>';
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_attempt(array $item): string
    {
        return self::attemptLabel($item);
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_outcome(array $item): string
    {
        return self::outcomeLabel($item);
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_duration_ms(array $item): string
    {
        /* translators: %s: milliseconds */
        return esc_html(sprintf(__('%s ms', 'multisite-webhooks'), number_format_i18n((int) $item['duration_ms'])));
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_next_attempt_at(array $item): string
    {
        return $item['outcome'] === 'retrying' && !empty($item['next_attempt_at']) ? WebhooksTable::when((string) $item['next_attempt_at']) : '<span aria-hidden="true">—</span>';
    }

    /**
     * "#2" with badges for test sends and redeliveries.
     *
     * @param array<string, mixed> $d
     */
    public static function attemptLabel(array $d): string
    {
        $out = '#' . (int) $d['attempt'];
        if ($d['is_test']) {
            $out .= ' <span class="mwh-badge mwh-badge-test">' . esc_html__('test', 'multisite-webhooks') . '</span>';
        }
        if ($d['is_redelivery']) {
            $out .= ' <span class="mwh-badge">' . esc_html__('redelivery', 'multisite-webhooks') . '</span>';
        }
        return $out;
    }

    /**
     * The outcome with the HTTP status (and reason phrase) or the error.
     *
     * @param array<string, mixed> $d
     */
    public static function outcomeLabel(array $d): string
    {
        $labels = ['delivered' => __('Delivered', 'multisite-webhooks'), 'failed' => __('Failed', 'multisite-webhooks'),
            'retrying' => __('Failed, will retry', 'multisite-webhooks'), 'cancelled' => __('Cancelled', 'multisite-webhooks'), Deliveries::REFUSED => __('Refused', 'multisite-webhooks')];
        $outcome = (string) $d['outcome'];
        $class = $outcome === 'delivered' ? 'mwh-status-ok' : ($outcome === 'cancelled' ? '' : 'mwh-status-bad');
        $detail = $d['status_code'] !== null ? 'HTTP ' . (int) $d['status_code'] : '';
        if (!empty($d['error'])) {
            $kind = (string) ($d['error_kind'] ?? '');
            $words = $kind !== '' && $kind !== 'http_status' ? \MultisiteWebhooks\Messages::kind($kind, (string) $d['error']) : (string) $d['error'];
            $detail .= ($detail === '' ? '' : ' — ') . $words;
        }
        return sprintf('<span class="mwh-status %s">%s</span>', esc_attr($class), esc_html($labels[$outcome] ?? $outcome))
            . ($detail === '' ? '' : '<br><span class="mwh-detail">' . esc_html($detail) . '</span>');
    }

    /**
     * A short table of attempts (the edit page's latest deliveries).
     *
     * @param list<array<string, mixed>> $rows
     */
    public static function compact(array $rows): void
    {
        echo '<table class="widefat striped mwh-compact"><thead><tr>';
        foreach (
            [__('Time', 'multisite-webhooks'), __('Event', 'multisite-webhooks'), __('Attempt', 'multisite-webhooks'), __('Status', 'multisite-webhooks'), __('Duration', 'multisite-webhooks')] as $h
        ) {
            echo '<th scope="col">' . esc_html($h) . '</th>';
        }
        echo '</tr></thead><tbody>';
        foreach ($rows as $d) {
            printf(
                '<tr><td><a href="%s">%s</a></td><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>',
                esc_url(Admin::url(Admin::PAGE_LOG, ['delivery' => (int) $d['id']])),
                WebhooksTable::when((string) $d['date_created']),
                esc_html((string) $d['event']),
                self::attemptLabel($d),
                self::outcomeLabel($d),
                /* translators: %s: milliseconds */
                esc_html(sprintf(__('%s ms', 'multisite-webhooks'), number_format_i18n((int) $d['duration_ms'])))
            );
        }
        echo '</tbody></table>';
    }
}
