<?php
/**
 * Network Admin → Webhooks: the menu, the tabs, the assets and the checks every handler makes.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Options;
use MultisiteWebhooks\Plugin;

/**
 * Registers the network admin pages and routes each to its screen.
 */
final class Admin
{
    /** Page slugs. */
    public const PAGE_LIST = 'multisite-webhooks';
    public const PAGE_EDIT = 'multisite-webhooks-edit';
    public const PAGE_LOG = 'multisite-webhooks-log';
    public const PAGE_EVENTS = 'multisite-webhooks-events';
    public const PAGE_HEALTH = 'multisite-webhooks-health';
    public const PAGE_IMPORT = 'multisite-webhooks-import';

    /** Ultimate Multisite's top-level menu slug. */
    private const UM_MENU = 'wp-ultimo';

    private Plugin $plugin;
    private WebhooksPage $list;
    private ImportPage $import;
    private EditPage $edit;
    private DeliveriesPage $log;

    /** @var list<string> Hook suffixes of our screens. */
    private array $screens = [];

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
        $this->list = new WebhooksPage($plugin);
        $this->import = new ImportPage($plugin);
        $this->edit = new EditPage($plugin);
        $this->log = new DeliveriesPage($plugin);
    }

    /**
     * Hooks the pages into the network admin and the AJAX endpoints into admin-ajax.php.
     */
    public static function attach(Plugin $plugin): void
    {
        if (!is_multisite()) {
            return;
        }
        $admin = new self($plugin);
        add_action('network_admin_menu', [$admin, 'menu']);
        add_action('network_admin_menu', [$admin, 'ultimateMultisiteMenu'], 100);
        add_action('admin_enqueue_scripts', [$admin, 'assets']);
        add_filter('set_screen_option_' . Options::WEBHOOKS_PER_PAGE, static fn ($keep, $option, $value) => min(200, max(1, (int) $value)), 10, 3);
        add_filter('set_screen_option_' . Options::DELIVERIES_PER_PAGE, static fn ($keep, $option, $value) => min(200, max(1, (int) $value)), 10, 3);
        (new Ajax($plugin))->attach();
    }

    /**
     * Refuses the request unless the user is a network administrator and `$nonceAction`'s nonce
     * (field `$field`) is valid. Ends the request with a 403 page when refused.
     */
    public static function guard(string $nonceAction, string $field = '_wpnonce'): void
    {
        if (!current_user_can(Plugin::CAPABILITY)) {
            wp_die(esc_html__('Only network administrators can manage webhooks.', 'multisite-webhooks'), esc_html__('Not allowed', 'multisite-webhooks'), ['response' => 403, 'back_link' => true]);
        }
        $nonce = isset($_REQUEST[$field]) ? sanitize_text_field(wp_unslash((string) $_REQUEST[$field])) : ''; // No nonce needed: verified on the next line.
        if (!wp_verify_nonce($nonce, $nonceAction)) {
            wp_die(
                esc_html__('This link or form has expired or was not made for you. Go back, reload the page and try again.', 'multisite-webhooks'),
                esc_html__('Not allowed', 'multisite-webhooks'),
                ['response' => 403, 'back_link' => true]
            );
        }
    }

    /**
     * The URL of one of our pages.
     *
     * @param array<string, scalar> $args
     */
    public static function url(string $page, array $args = []): string
    {
        return add_query_arg(array_merge(['page' => $page], $args), network_admin_url('admin.php'));
    }

    /**
     * The top-level menu and its pages.
     */
    public function menu(): void
    {
        $title = __('Webhooks', 'multisite-webhooks');
        $this->screens[] = (string) add_menu_page($title, $title, Plugin::CAPABILITY, self::PAGE_LIST, [$this->list, 'render'], 'dashicons-rest-api', 26);
        $this->screens[] = (string) add_submenu_page(self::PAGE_LIST, $title, __('All Webhooks', 'multisite-webhooks'), Plugin::CAPABILITY, self::PAGE_LIST, [$this->list, 'render']);
        // Page slug => [browser title, menu label, renderer]: the order is the menu's.
        $pages = [
            self::PAGE_EDIT => [__('Add New Webhook', 'multisite-webhooks'), __('Add New', 'multisite-webhooks'), [$this->edit, 'render']],
            self::PAGE_LOG => [__('Delivery Log', 'multisite-webhooks'), __('Delivery Log', 'multisite-webhooks'), [$this->log, 'render']],
            self::PAGE_EVENTS => [__('Webhook Events', 'multisite-webhooks'), __('Events', 'multisite-webhooks'), [$this, 'renderEvents']],
            self::PAGE_HEALTH => [__('Webhooks Health', 'multisite-webhooks'), __('Health', 'multisite-webhooks'), [$this, 'renderHealth']],
            self::PAGE_IMPORT => [__('Import from Ultimate Multisite', 'multisite-webhooks'), __('Import', 'multisite-webhooks'), [$this->import, 'render']],
        ];
        foreach ($pages as $slug => [$pageTitle, $menuTitle, $render]) {
            $this->screens[] = (string) add_submenu_page(self::PAGE_LIST, $pageTitle, $menuTitle, Plugin::CAPABILITY, $slug, $render);
        }
        foreach ($this->screens as $screen) {
            add_action('load-' . $screen, [Help::class, 'add']);
        }
        $importScreen = (string) end($this->screens);
        add_action('load-' . $importScreen, [$this->import, 'load']);
        // Form posts and bulk actions are handled before any output, so they can redirect.
        add_action('load-' . $this->screens[0], [$this->list, 'load']);
        add_action('load-' . $this->screens[2], [$this->edit, 'load']);
        add_action('load-' . $this->screens[3], [$this->log, 'load']);
        // Editing an existing webhook belongs to "All Webhooks", not to "Add New".
        add_filter('submenu_file', static function ($file) {
            return (($_GET['page'] ?? '') === self::PAGE_EDIT && !empty($_GET['id'])) ? self::PAGE_LIST : $file; // No nonce needed: menu highlight only.
        });
    }

    /**
     * With Ultimate Multisite active, its menu links here too (its own Webhooks page is replaced).
     */
    public function ultimateMultisiteMenu(): void
    {
        global $admin_page_hooks;
        if (!isset($admin_page_hooks[self::UM_MENU])) {
            return;
        }
        // Ultimate Multisite's old Webhooks page (bookmarks, its own links) leads here; the
        // menu is built before WordPress checks access to the page, so this runs first.
        // No nonce needed: a redirect, no action.
        if (isset($_GET['page']) && $_GET['page'] === 'wp-ultimo-webhooks' && current_user_can(Plugin::CAPABILITY)) {
            wp_safe_redirect(self::url(self::PAGE_LIST));
            exit;
        }
        remove_submenu_page(self::UM_MENU, 'wp-ultimo-webhooks');
        add_submenu_page(self::UM_MENU, __('Webhooks', 'multisite-webhooks'), __('Webhooks', 'multisite-webhooks'), Plugin::CAPABILITY, self::url(self::PAGE_LIST));
    }

    /**
     * Styles and script, on our screens only.
     */
    public function assets(string $hook): void
    {
        if (!in_array($hook, $this->screens, true)) {
            return;
        }
        $base = plugins_url('assets/', $this->plugin->file());
        $dir = $this->plugin->dir() . '/assets/';
        wp_enqueue_style('multisite-webhooks-admin', $base . 'admin.css', [], (string) filemtime($dir . 'admin.css'));
        wp_enqueue_script('multisite-webhooks-admin', $base . 'admin.js', ['wp-i18n', 'wp-a11y'], (string) filemtime($dir . 'admin.js'), true);
        wp_set_script_translations('multisite-webhooks-admin', 'multisite-webhooks', $this->plugin->dir() . '/languages');
        wp_localize_script('multisite-webhooks-admin', 'multisiteWebhooks', [
            'ajaxUrl' => admin_url('admin-ajax.php'),
            'nonce' => wp_create_nonce(Ajax::NONCE),
        ]);
    }

    /**
     * The tabs across the top of every page.
     */
    public static function tabs(string $current): void
    {
        $tabs = [
            self::PAGE_LIST => __('Webhooks', 'multisite-webhooks'),
            self::PAGE_LOG => __('Delivery Log', 'multisite-webhooks'),
            self::PAGE_EVENTS => __('Events', 'multisite-webhooks'),
            self::PAGE_HEALTH => __('Health', 'multisite-webhooks'),
            self::PAGE_IMPORT => __('Import', 'multisite-webhooks'),
        ];
        echo '<nav class="nav-tab-wrapper mwh-tabs" aria-label="' . esc_attr__('Webhooks sections', 'multisite-webhooks') . '">';
        foreach ($tabs as $page => $label) {
            printf(
                '<a href="%s" class="nav-tab%s"%s>%s</a>',
                esc_url(self::url($page)),
                $page === $current ? ' nav-tab-active' : '',
                $page === $current ? ' aria-current="page"' : '',
                esc_html($label)
            );
        }
        echo '</nav>';
    }

    /**
     * A one-off message carried over a redirect (`?mwh_msg=…`): [level, text].
     *
     * @return array{0:string,1:string}|null
     */
    public static function flash(): ?array
    {
        $key = isset($_GET['mwh_msg']) ? sanitize_key(wp_unslash((string) $_GET['mwh_msg'])) : ''; // No nonce needed: display only.
        $n = isset($_GET['mwh_n']) ? absint($_GET['mwh_n']) : 0; // No nonce needed: display only.
        $messages = [
            'created' => ['success', __('Webhook created.', 'multisite-webhooks')],
            'saved' => ['success', __('Webhook saved.', 'multisite-webhooks')],
            /* translators: %d: number of webhooks */
            'deleted' => ['success', sprintf(_n('%d webhook deleted.', '%d webhooks deleted.', $n, 'multisite-webhooks'), $n)],
            /* translators: %d: number of webhooks */
            'activated' => ['success', sprintf(_n('%d webhook activated.', '%d webhooks activated.', $n, 'multisite-webhooks'), $n)],
            /* translators: %d: number of webhooks */
            'deactivated' => ['success', sprintf(_n('%d webhook deactivated.', '%d webhooks deactivated.', $n, 'multisite-webhooks'), $n)],
            'rotated' => ['success', __('A new signing secret was made. The previous one keeps signing for 24 hours, so receivers can switch without missing events.', 'multisite-webhooks')],
            /* translators: %d: number of deliveries */
            'redelivered' => ['success', sprintf(_n('%d delivery queued again.', '%d deliveries queued again.', $n, 'multisite-webhooks'), $n)],
            'nothing' => ['info', __('Nothing was selected.', 'multisite-webhooks')],
            'released' => ['success', __('Ultimate Multisite sends its own webhooks again.', 'multisite-webhooks')],
            'took_over' => ['success', __('Multisite Webhooks is now the one sender of Ultimate Multisite\'s events.', 'multisite-webhooks')],
            /* translators: %d: number of webhooks */
            'imported' => [
                'success',
                sprintf(
                    _n(
                        '%d webhook imported from Ultimate Multisite. Multisite Webhooks now sends its events.',
                        '%d webhooks imported from Ultimate Multisite. Multisite Webhooks now sends its events.',
                        $n,
                        'multisite-webhooks'
                    ),
                    $n
                ),
            ],
            'not_found' => ['error', __('That webhook no longer exists.', 'multisite-webhooks')],
        ];
        return $messages[$key] ?? null;
    }

    /**
     * Prints the flash message, if any, and a list of extra [level, text] messages.
     *
     * @param list<array{0:string,1:string}> $more
     */
    public static function messages(array $more = []): void
    {
        $flash = self::flash();
        if ($flash !== null) {
            array_unshift($more, $flash);
        }
        foreach ($more as [$level, $text]) {
            printf('<div class="notice notice-%s is-dismissible"><p>%s</p></div>', esc_attr($level), esc_html($text));
        }
    }

    /**
     * Events page: the reference of every event.
     */
    public function renderEvents(): void
    {
        echo '<div class="wrap mwh-wrap"><h1>' . esc_html__('Webhook Events', 'multisite-webhooks') . '</h1>';
        self::tabs(self::PAGE_EVENTS);
        (new EventsReference($this->plugin->catalog()))->render();
        echo '</div>';
    }

    /**
     * Health page.
     */
    public function renderHealth(): void
    {
        echo '<div class="wrap mwh-wrap"><h1>' . esc_html__('Webhooks Health', 'multisite-webhooks') . '</h1>';
        self::tabs(self::PAGE_HEALTH);
        HealthPanel::render($this->plugin, true);
        echo '</div>';
    }
}
