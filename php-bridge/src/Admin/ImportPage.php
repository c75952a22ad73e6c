<?php
/**
 * Network Admin → Webhooks → Import: Ultimate Multisite's webhooks, previewed (what will be
 * imported, what is already here, what is skipped and why), then imported — and from then on
 * this plugin is the one sender.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\MaskedUrl;
use MultisiteWebhooks\Options;
use MultisiteWebhooks\Events\UltimateMultisite;
use MultisiteWebhooks\Plugin;

/**
 * The import page.
 */
final class ImportPage
{
    /** Nonce action of the import form. */
    public const NONCE = 'multisite_webhooks_um_import';

    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Before output: runs the import, then redirects with what it did.
     */
    public function load(): void
    {
        // No nonce needed: Admin::guard() checks it below.
        $action = (string) ($_POST['mwh_action'] ?? '');
        if ($action === 'release' || $action === 'take_over') {
            Admin::guard(self::NONCE);
            // Undo (or redo) the switch: Ultimate Multisite sends its own webhooks again.
            if ($action === 'release') {
                delete_site_option(Options::UM_TAKEOVER);
            } else {
                update_site_option(Options::UM_TAKEOVER, 1);
            }
            wp_safe_redirect(Admin::url(Admin::PAGE_IMPORT, ['mwh_msg' => $action === 'release' ? 'released' : 'took_over']));
            exit;
        }
        if ($action !== 'import') {
            return;
        }
        Admin::guard(self::NONCE);
        $r = $this->plugin->umImport()->run(!empty($_POST['disable_source']));
        $n = is_wp_error($r) ? 0 : count($r['imported']);
        wp_safe_redirect(Admin::url(Admin::PAGE_IMPORT, ['mwh_msg' => 'imported', 'mwh_n' => $n]));
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
        echo '<div class="wrap mwh-wrap"><h1>' . esc_html__('Import from Ultimate Multisite', 'multisite-webhooks') . '</h1>';
        Admin::tabs(Admin::PAGE_IMPORT);
        Admin::messages([]);
        $rows = $this->plugin->umImport()->preview();
        if ($rows === []) {
            echo '<p>' . esc_html__('Ultimate Multisite has no webhooks on this network: there is nothing to import.', 'multisite-webhooks') . '</p></div>';
            return;
        }
        echo '<p>' . esc_html(UltimateMultisite::tookOver()
            ? __('Multisite Webhooks has taken over: Ultimate Multisite no longer sends webhooks itself, and a webhook saved there is imported here at once.', 'multisite-webhooks')
            : __(
                'Importing makes Multisite Webhooks the one sender: Ultimate Multisite stops sending its own unsigned copies, and webhooks saved there later are imported at once.',
                'multisite-webhooks'
            )
                . ' ' . __('Each webhook keeps its name, URL, event and whether it is active.', 'multisite-webhooks')) . '</p>';
        $labels = ['import' => __('Will be imported', 'multisite-webhooks'), 'already' => __('Already imported', 'multisite-webhooks'), 'skip' => __('Will be skipped', 'multisite-webhooks')];
        echo '<table class="widefat striped" id="mwh-import-preview"><thead><tr>';
        foreach (
            [__('Name', 'multisite-webhooks'), __('URL', 'multisite-webhooks'), __('Event', 'multisite-webhooks'), __('Active', 'multisite-webhooks'), __('What happens', 'multisite-webhooks')] as $h
        ) {
            echo '<th scope="col">' . esc_html($h) . '</th>';
        }
        echo '</tr></thead><tbody>';
        $importable = 0;
        foreach ($rows as $r) {
            $importable += $r['action'] === 'import' ? 1 : 0;
            $what = esc_html($labels[$r['action']]);
            if ($r['action'] === 'skip') {
                $what .= ': ' . esc_html((string) $r['reason']);
            } elseif ($r['action'] === 'already') {
                $what = sprintf('<a href="%s">%s</a>', esc_url(Admin::url(Admin::PAGE_EDIT, ['id' => (int) $r['id']])), $what);
            }
            printf(
                '<tr data-source-id="%d" data-action="%s"><td>%s%s</td><td><code>%s</code></td><td><code>%s</code></td><td>%s</td><td>%s</td></tr>',
                (int) $r['source_id'],
                esc_attr((string) $r['action']),
                esc_html((string) $r['name']),
                $r['hidden'] ? ' <span class="mwh-badge">' . esc_html__('hidden in Ultimate Multisite (e.g. made by Zapier)', 'multisite-webhooks') . '</span>' : '',
                esc_html(MaskedUrl::of((string) $r['webhook_url'])),
                esc_html((string) $r['event']),
                esc_html($r['active'] ? __('yes', 'multisite-webhooks') : __('no', 'multisite-webhooks')),
                $what
            ); // Escaped: escaped above.
        }
        echo '</tbody></table>';
        printf('<form method="post" action="%s">', esc_url(Admin::url(Admin::PAGE_IMPORT)));
        wp_nonce_field(self::NONCE);
        echo '<input type="hidden" name="mwh_action" value="import" />';
        printf(
            '<p><label><input type="checkbox" name="disable_source" value="1" checked="checked" /> %s</label></p>',
            esc_html__('Mark the imported webhooks inactive in Ultimate Multisite too', 'multisite-webhooks')
        );
        printf(
            '<p><button type="submit" class="button button-primary" id="mwh-import">%s</button></p></form>',
            esc_html(sprintf(/* translators: %d: number of webhooks */ _n('Import %d webhook and take over', 'Import %d webhooks and take over', $importable, 'multisite-webhooks'), $importable))
        );
        printf('<form method="post" action="%s">', esc_url(Admin::url(Admin::PAGE_IMPORT)));
        wp_nonce_field(self::NONCE);
        $took = UltimateMultisite::tookOver();
        printf(
            '<input type="hidden" name="mwh_action" value="%s" /><p><button type="submit" class="button" id="mwh-take-over">%s</button> <span class="description">%s</span></p></form>',
            $took ? 'release' : 'take_over',
            esc_html($took ? __('Give sending back to Ultimate Multisite', 'multisite-webhooks') : __('Take over without importing', 'multisite-webhooks')),
            esc_html($took ? __('Ultimate Multisite then sends to every webhook in its own list again (unsigned, and without retries); the webhooks here keep sending too.', 'multisite-webhooks')
            : __('Ultimate Multisite stops sending; only the webhooks listed here receive events.', 'multisite-webhooks'))
        );
        echo '</div>';
    }
}
