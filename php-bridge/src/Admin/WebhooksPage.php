<?php
/**
 * Network Admin → Webhooks: the list of webhooks, its bulk actions, and the events reference
 * below it.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Options;
use MultisiteWebhooks\Plugin;

/**
 * The list screen.
 */
final class WebhooksPage
{
    private Plugin $plugin;
    private ?WebhooksTable $table = null;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Before output: handles Delete and the bulk actions, then redirects (so a reload repeats
     * nothing).
     */
    public function load(): void
    {
        add_screen_option('per_page', ['default' => WebhooksTable::PER_PAGE, 'option' => Options::WEBHOOKS_PER_PAGE]);
        $this->table = new WebhooksTable($this->plugin);
        // No nonce needed: Admin::guard() verifies before anything changes.
        $action = $this->table->current_action();
        if ($action === 'delete' && isset($_GET['id'])) {
            $id = absint($_GET['id']);
            Admin::guard('multisite_webhooks_delete_' . $id);
            $n = $this->plugin->webhooks()->delete($id) ? 1 : 0;
            $this->done($n ? 'deleted' : 'not_found', $n);
        }
        if (!in_array($action, ['activate', 'deactivate', 'delete'], true)) {
            return;
        }
        Admin::guard('bulk-webhooks');
        $ids = array_values(array_filter(array_map('absint', (array) ($_REQUEST['ids'] ?? []))));
        if ($ids === []) {
            $this->done('nothing', 0);
        }
        $n = 0;
        foreach ($ids as $id) {
            if ($this->plugin->webhooks()->get($id) === null) {
                continue;
            }
            if ($action === 'delete') {
                $n += $this->plugin->webhooks()->delete($id) ? 1 : 0;
            } else {
                $saved = $this->plugin->operations()->saveWebhook($id, ['active' => $action === 'activate' ? 1 : 0]);
                $n += is_wp_error($saved) ? 0 : 1;
            }
        }
        $this->done($action === 'delete' ? 'deleted' : ($action === 'activate' ? 'activated' : 'deactivated'), $n);
    }

    /**
     * Back to the list with a message.
     *
     * @return never
     */
    private function done(string $message, int $n): void
    {
        wp_safe_redirect(Admin::url(Admin::PAGE_LIST, ['mwh_msg' => $message, 'mwh_n' => $n]));
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
        $table = $this->table ?? new WebhooksTable($this->plugin);
        $table->prepare_items();
        echo '<div class="wrap mwh-wrap">';
        echo '<h1 class="wp-heading-inline">' . esc_html__('Webhooks', 'multisite-webhooks') . '</h1> ';
        printf('<a href="%s" class="page-title-action">%s</a>', esc_url(Admin::url(Admin::PAGE_EDIT)), esc_html__('Add New Webhook', 'multisite-webhooks'));
        if (!empty($_REQUEST['s'])) { // No nonce needed: display only.
            /* translators: %s: search terms */
            printf(
                '<span class="subtitle">' . esc_html__('Search results for: %s', 'multisite-webhooks') . '</span>',
                '<strong>' . esc_html(sanitize_text_field(wp_unslash((string) $_REQUEST['s']))) . '</strong>'
            );
        }
        echo '<hr class="wp-header-end">';
        Admin::messages();
        Admin::tabs(Admin::PAGE_LIST);
        HealthPanel::render($this->plugin, false);
        echo '<form method="get" id="mwh-webhooks-form">';
        printf('<input type="hidden" name="page" value="%s" />', esc_attr(Admin::PAGE_LIST));
        $table->search_box(__('Search Webhooks', 'multisite-webhooks'), 'mwh-search');
        $table->display();
        echo '</form>';
        TestDialog::render();
        printf(
            '<p class="mwh-events-link">%s <a href="%s">%s</a></p>',
            esc_html(sprintf(
                /* translators: %d: number of events */
                _n('A webhook can hear %d event.', 'A webhook can hear any of %d events.', count($this->plugin->catalog()->all()), 'multisite-webhooks'),
                count($this->plugin->catalog()->all())
            )),
            esc_url(Admin::url(Admin::PAGE_EVENTS)),
            esc_html__('See each event, its fields and an example payload on the Events tab.', 'multisite-webhooks')
        );
        echo '</div>';
    }
}
