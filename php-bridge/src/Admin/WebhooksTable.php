<?php
/**
 * The list of webhooks (WP_List_Table): search, sorting, paging, bulk actions.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Store\Deliveries;
use MultisiteWebhooks\Options;
use MultisiteWebhooks\Plugin;

if (!class_exists('WP_List_Table')) {
    require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
}

/**
 * Webhooks, one per row.
 */
final class WebhooksTable extends \WP_List_Table
{
    use RowActions;

    /** Rows per page unless the admin chose otherwise in Screen Options. */
    public const PER_PAGE = 20;

    private Plugin $plugin;

    /** @var array<int, int> Failed attempts in the last 24 h by webhook id. */
    private array $failures = [];

    /** @var array<int, array<string, mixed>> The newest test send by webhook id. */
    private array $tests = [];

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
        parent::__construct(['singular' => 'webhook', 'plural' => 'webhooks', 'ajax' => false]);
    }

    /**
     * @return array<string, string>
     */
    public function get_columns(): array
    {
        return [
            'cb' => '<input type="checkbox" />',
            'name' => __('Name', 'multisite-webhooks'),
            'webhook_url' => __('URL', 'multisite-webhooks'),
            'events' => __('Events', 'multisite-webhooks'),
            'status' => __('Status', 'multisite-webhooks'),
            'event_count' => __('Run count', 'multisite-webhooks'),
            'date_last_delivery' => __('Last delivery', 'multisite-webhooks'),
            'failures' => __('Failures (24 h)', 'multisite-webhooks'),
        ];
    }

    /**
     * @return array<string, array{0:string,1:bool}>
     */
    protected function get_sortable_columns(): array
    {
        return [
            'name' => ['name', false],
            'webhook_url' => ['webhook_url', false],
            'status' => ['active', false],
            'event_count' => ['event_count', true],
            'date_last_delivery' => ['date_last_delivery', true],
        ];
    }

    /**
     * @return array<string, string>
     */
    protected function get_bulk_actions(): array
    {
        return [
            'activate' => __('Activate', 'multisite-webhooks'),
            'deactivate' => __('Deactivate', 'multisite-webhooks'),
            'delete' => __('Delete', 'multisite-webhooks'),
        ];
    }

    public function prepare_items(): void
    {
        $per = $this->get_items_per_page(Options::WEBHOOKS_PER_PAGE, self::PER_PAGE);
        // No nonce needed: read-only list parameters.
        $args = [
            'search' => isset($_REQUEST['s']) ? sanitize_text_field(wp_unslash((string) $_REQUEST['s'])) : '',
            'orderby' => isset($_REQUEST['orderby']) ? sanitize_key(wp_unslash((string) $_REQUEST['orderby'])) : 'id',
            'order' => isset($_REQUEST['order']) ? sanitize_key(wp_unslash((string) $_REQUEST['order'])) : 'asc',
            // Hidden ones too (Ultimate Multisite hides those Zapier made): the network admin
            // sees every webhook that receives events, marked.
        ];
        $total = $this->plugin->webhooks()->count($args);
        $this->items = $this->plugin->webhooks()->list($args + ['per_page' => $per, 'page' => $this->get_pagenum()]);
        $this->failures = $this->plugin->deliveries()->failuresSince(array_column($this->items, 'id'), time() - DAY_IN_SECONDS);
        $this->tests = $this->plugin->deliveries()->lastTests(array_column($this->items, 'id'));
        $this->set_pagination_args(['total_items' => $total, 'per_page' => $per, 'total_pages' => (int) ceil($total / $per)]);
        $this->_column_headers = [$this->get_columns(), get_hidden_columns($this->screen), $this->get_sortable_columns(), 'name'];
    }

    public function no_items(): void
    {
        if (!empty($_REQUEST['s'])) { // No nonce needed: display only.
            esc_html_e('No webhook matches the search.', 'multisite-webhooks');
            return;
        }
        printf(
            /* translators: %s: link to the Add New page */
            esc_html__('No webhooks yet. %s to send events to Zapier, a CRM or your own service.', 'multisite-webhooks'),
            '<a href="' . esc_url(Admin::url(Admin::PAGE_EDIT)) . '">' . esc_html__('Add a webhook', 'multisite-webhooks') . '</a>'
        );
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_cb($item): string
    {
        return sprintf(
            '<label class="screen-reader-text" for="mwh-cb-%1$d">%2$s</label><input type="checkbox" id="mwh-cb-%1$d" name="ids[]" value="%1$d" />',
            (int) $item['id'],
            esc_html(sprintf(/* translators: %s: webhook name */ __('Select %s', 'multisite-webhooks'), $item['name']))
        );
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_name(array $item): string
    {
        $edit = Admin::url(Admin::PAGE_EDIT, ['id' => (int) $item['id']]);
        $why = __('Ultimate Multisite hides webhooks that an integration (e.g. Zapier) made; it receives events like any other.', 'multisite-webhooks');
        $badge = $item['hidden'] ? sprintf(' <span class="mwh-badge mwh-badge-hidden" title="%s">%s</span>', esc_attr($why), esc_html__('hidden', 'multisite-webhooks')) : '';
        return sprintf('<strong><a class="row-title" href="%s">%s</a></strong>', esc_url($edit), esc_html((string) $item['name'])) . $badge;
    }

    /**
     * The row actions of a webhook (under its name, the primary column).
     *
     * @param array<string, mixed> $item
     * @return array<string, string>
     */
    protected function rowActions(array $item): array
    {
        $id = (int) $item['id'];
        $edit = Admin::url(Admin::PAGE_EDIT, ['id' => $id]);
        $delete = wp_nonce_url(Admin::url(Admin::PAGE_LIST, ['action' => 'delete', 'id' => $id]), 'multisite_webhooks_delete_' . $id);
        $actions = [
            'edit' => sprintf('<a href="%s">%s</a>', esc_url($edit), esc_html__('Edit', 'multisite-webhooks')),
            'test' => sprintf('<button type="button" class="button-link mwh-send-test" data-webhook-id="%d">%s</button>', $id, esc_html__('Send Test', 'multisite-webhooks')),
            'log' => sprintf('<a href="%s">%s</a>', esc_url(Admin::url(Admin::PAGE_LOG, ['webhook_id' => $id])), esc_html__('Deliveries', 'multisite-webhooks')),
            'delete' => sprintf(
                '<a href="%s" class="mwh-confirm" data-confirm="%s">%s</a>',
                esc_url($delete),
                esc_attr(sprintf(/* translators: %s: webhook name */ __('Delete the webhook "%s"? Its delivery log is kept until it ages out.', 'multisite-webhooks'), $item['name'])),
                esc_html__('Delete', 'multisite-webhooks')
            ),
        ];
        return $actions;
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_webhook_url(array $item): string
    {
        $url = (string) $item['webhook_url'];
        $short = mb_strlen($url) > 60 ? mb_substr($url, 0, 57) . '…' : $url;
        return sprintf('<code class="mwh-url" title="%s">%s</code>', esc_attr($url), esc_html($short));
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_events(array $item): string
    {
        $out = [];
        foreach ((array) $item['events'] as $slug) {
            $event = $slug === '*' ? null : $this->plugin->catalog()->get((string) $slug);
            $label = $slug === '*' ? __('All events', 'multisite-webhooks') : (string) ($event['name'] ?? $slug);
            $out[] = sprintf('<span class="mwh-badge" title="%s">%s</span>', esc_attr((string) $slug), esc_html($label));
        }
        return implode(' ', $out);
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_status(array $item): string
    {
        switch ($item['status']) {
            case 'active':
                return '<span class="mwh-status mwh-status-ok">' . esc_html__('Active', 'multisite-webhooks') . '</span>';
            case 'disabled':
                return '<span class="mwh-status mwh-status-bad">' . esc_html__('Disabled', 'multisite-webhooks') . '</span><br><span class="description">'
                    . esc_html((string) $item['disabled_reason']) . '</span>';
            default:
                return '<span class="mwh-status">' . esc_html__('Inactive', 'multisite-webhooks') . '</span>';
        }
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_event_count(array $item): string
    {
        return esc_html(number_format_i18n((int) $item['event_count']));
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_date_last_delivery(array $item): string
    {
        $out = '<span aria-hidden="true">—</span><span class="screen-reader-text">' . esc_html__('Never', 'multisite-webhooks') . '</span>';
        if (!empty($item['date_last_delivery'])) {
            $status = (string) ($item['last_status'] ?? '');
            $ok = $status !== '' && $status[0] === '2';
            $out = self::when((string) $item['date_last_delivery']) . ' '
                . sprintf('<span class="mwh-code %s">%s</span>', $ok ? 'mwh-status-ok' : 'mwh-status-bad', esc_html($status === 'error' ? __('error', 'multisite-webhooks') : $status));
        }
        $test = $this->tests[(int) $item['id']] ?? null;
        if ($test !== null) {
            // A test send is shown as one, apart: it is not a delivery and not counted.
            $code = $test['status_code'];
            $result = $code !== null ? trim($code . ' ' . get_status_header_desc($code)) : __('no answer', 'multisite-webhooks');
            $out .= sprintf(
                '<br><span class="mwh-last-test %s">%s</span>',
                $test['outcome'] === 'delivered' ? 'mwh-status-ok' : 'mwh-status-bad',
                sprintf(
                    /* translators: 1: HTTP status and reason, e.g. "200 OK", 2: when, e.g. "2 mins ago" */
                    esc_html__('last test: %1$s, %2$s', 'multisite-webhooks'),
                    esc_html($result),
                    self::when((string) $test['date_created'])
                )
            );
        }
        return $out;
    }

    /**
     * @param array<string, mixed> $item
     */
    protected function column_failures(array $item): string
    {
        $n = $this->failures[(int) $item['id']] ?? 0;
        if ($n === 0) {
            return '0';
        }
        return sprintf(
            '<a class="mwh-status-bad" href="%s">%s</a>',
            esc_url(Admin::url(Admin::PAGE_LOG, ['webhook_id' => (int) $item['id'], 'status' => Deliveries::FAILING])),
            esc_html(number_format_i18n($n))
        );
    }

    /**
     * A GMT MySQL date as "5 minutes ago", with the exact local time as a tooltip.
     */
    public static function when(string $gmt): string
    {
        $t = strtotime($gmt . ' UTC');
        if ($t === false) {
            return '';
        }
        $exact = wp_date(get_option('date_format') . ' ' . get_option('time_format') . ':s', $t);
        $label = abs(time() - $t) < WEEK_IN_SECONDS
            ? (time() >= $t
                /* translators: %s: human time difference, e.g. "5 mins" */
                ? sprintf(__('%s ago', 'multisite-webhooks'), human_time_diff($t))
                /* translators: %s: human time difference, e.g. "5 mins" */
                : sprintf(__('in %s', 'multisite-webhooks'), human_time_diff($t)))
            : (string) $exact;
        return sprintf('<time datetime="%s" title="%s">%s</time>', esc_attr(gmdate('c', $t)), esc_attr((string) $exact), esc_html($label));
    }
}
