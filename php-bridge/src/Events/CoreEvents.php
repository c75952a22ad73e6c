<?php
/**
 * WordPress core network events: sites, users, publishing — with flat payloads in the same
 * prefixed style as Ultimate Multisite's (`site_*`, `user_*`, `post_*`).
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Events;

use MultisiteWebhooks\Payload;
use MultisiteWebhooks\Plugin;

/**
 * Listens to WordPress and builds each payload once, with the right site switched in. Text a
 * site administrator controls (titles, taglines, names, excerpts) is bounded to a few KB with
 * a `<field>_truncated` flag, so no one site can make the network's events unsendable.
 */
final class CoreEvents
{
    /** @var array<string, true> Events already raised in this request (slug:object). */
    private static array $seen = [];

    /** @var array<int, array<string, mixed>> Site payloads captured before deletion. */
    private static array $deleting = [];

    /**
     * The core event types: slug => [name, description].
     *
     * @return array<string, array{0:string, 1:string}>
     */
    public static function types(): array
    {
        return [
            'site_created' => [
                __('Site Created', 'multisite-webhooks'),
                __('A new site was created in the network (Network Admin → Sites → Add New, a signup, or code calling wp_insert_site).', 'multisite-webhooks'),
            ],
            'site_deleted' => [__('Site Deleted', 'multisite-webhooks'), __('A site was deleted from the network. The payload describes the site as it was just before.', 'multisite-webhooks')],
            'site_archived' => [__('Site Archived', 'multisite-webhooks'), __('A site was archived: visitors see that it is no longer available.', 'multisite-webhooks')],
            'site_unarchived' => [__('Site Unarchived', 'multisite-webhooks'), __('An archived site was made available again.', 'multisite-webhooks')],
            'site_spammed' => [__('Site Marked as Spam', 'multisite-webhooks'), __('A site was marked as spam.', 'multisite-webhooks')],
            'site_unspammed' => [__('Site Marked as Not Spam', 'multisite-webhooks'), __('A site was unmarked as spam.', 'multisite-webhooks')],
            'site_deactivated' => [__('Site Deactivated', 'multisite-webhooks'), __('A site was deactivated (flagged deleted, but its content kept).', 'multisite-webhooks')],
            'site_activated' => [__('Site Activated', 'multisite-webhooks'), __('A deactivated site was activated again.', 'multisite-webhooks')],
            'user_registered' => [__('User Registered', 'multisite-webhooks'), __('A user account was created in the network.', 'multisite-webhooks')],
            'user_added_to_site' => [__('User Added to Site', 'multisite-webhooks'), __('A user was given a role on a site of the network.', 'multisite-webhooks')],
            'user_removed_from_site' => [__('User Removed from Site', 'multisite-webhooks'), __('A user was removed from a site of the network.', 'multisite-webhooks')],
            'user_deleted' => [
                __('User Deleted', 'multisite-webhooks'),
                __('A user account was deleted from the network. The payload describes the user as they were just before.', 'multisite-webhooks'),
            ],
            'post_published' => [
                __('Post Published', 'multisite-webhooks'),
                __('A post, page or other public content was published for the first time on any site of the network.', 'multisite-webhooks'),
            ],
        ];
    }

    /**
     * Adds the core event types to the catalog.
     */
    public static function register(Catalog $catalog): void
    {
        foreach (self::types() as $slug => [$name, $description]) {
            $catalog->register($slug, [
                'name' => $name,
                'description' => $description,
                'payload' => static fn (): array => self::example($slug),
            ], Catalog::SOURCE_WORDPRESS);
        }
    }

    /**
     * Attaches the WordPress actions that raise the events.
     */
    public static function attach(Plugin $plugin): void
    {
        $emit = static function (string $slug, string $key, callable $build) use ($plugin): void {
            if (isset(self::$seen["{$slug}:{$key}"])) {
                return; // Once per request, however many times WordPress repeats the action.
            }
            self::$seen["{$slug}:{$key}"] = true;
            try {
                $payload = $build();
            } catch (\Throwable $e) {
                $plugin->emitter()->refuseEvent($slug, 'internal', sprintf('building the payload failed: %s', $e->getMessage()));
                return;
            }
            if (is_array($payload)) {
                $plugin->emitter()->emitTrusted($slug, $payload);
            }
        };

        add_action('wp_initialize_site', static function ($site) use ($emit): void {
            if ($site instanceof \WP_Site) {
                $emit('site_created', (string) $site->blog_id, static fn (): array => self::site((int) $site->blog_id));
            }
        }, 100);
        add_action('wp_validate_site_deletion', static function ($errors, $site): void {
            if ($site instanceof \WP_Site) {
                self::$deleting[(int) $site->blog_id] = self::site((int) $site->blog_id);
            }
        }, 100, 2);
        add_action('wp_delete_site', static function ($site) use ($emit): void {
            if ($site instanceof \WP_Site) {
                $id = (int) $site->blog_id;
                $emit('site_deleted', (string) $id, static fn (): array => self::$deleting[$id] ?? self::siteFrom($site));
            }
        });
        $statuses = [
            'archive_blog' => 'site_archived', 'unarchive_blog' => 'site_unarchived',
            'make_spam_blog' => 'site_spammed', 'make_ham_blog' => 'site_unspammed',
            'deactivate_blog' => 'site_deactivated', 'activate_blog' => 'site_activated',
        ];
        foreach ($statuses as $action => $slug) {
            add_action($action, static function ($siteId) use ($emit, $slug): void {
                $emit($slug, (string) (int) $siteId, static fn (): array => self::site((int) $siteId));
            });
        }
        add_action('user_register', static function ($userId) use ($emit): void {
            $emit('user_registered', (string) (int) $userId, static fn (): array => self::user((int) $userId));
        });
        add_action('add_user_to_blog', static function ($userId, $role, $siteId) use ($emit): void {
            $emit('user_added_to_site', "{$userId}:{$siteId}", static fn (): array => self::user((int) $userId) + ['user_role' => (string) $role] + self::site((int) $siteId));
        }, 10, 3);
        add_action('remove_user_from_blog', static function ($userId, $siteId) use ($emit): void {
            $emit('user_removed_from_site', "{$userId}:{$siteId}", static fn (): array => self::user((int) $userId) + self::site((int) $siteId));
        }, 10, 2);
        add_action('wpmu_delete_user', static function ($userId) use ($emit): void {
            $emit('user_deleted', (string) (int) $userId, static fn (): array => self::user((int) $userId));
        });
        add_action('transition_post_status', static function ($new, $old, $post) use ($emit): void {
            if ($new !== 'publish' || $old === 'publish' || !$post instanceof \WP_Post) {
                return;
            }
            if (wp_is_post_revision($post) || wp_is_post_autosave($post) || !is_post_type_viewable($post->post_type)) {
                return;
            }
            $site = get_current_blog_id();
            $emit('post_published', "{$site}:{$post->ID}", static fn (): array => self::post($post) + self::site($site));
        }, 10, 3);
    }

    /**
     * The `site_*` block for a site.
     *
     * @return array<string, mixed>
     */
    public static function site(int $siteId): array
    {
        $site = get_site($siteId);
        if (!$site instanceof \WP_Site) {
            return ['site_id' => $siteId];
        }
        switch_to_blog($siteId);
        try {
            $block = [
                'site_id' => $siteId,
                'site_title' => (string) get_option('blogname'),
                'site_description' => (string) get_option('blogdescription'),
                'site_url' => home_url('/'),
                'site_admin_url' => admin_url(),
            ];
        } finally {
            restore_current_blog();
        }
        return Payload::boundText($block, ['site_title', 'site_description']) + self::siteFrom($site);
    }

    /**
     * What a WP_Site itself tells (used when the site's tables are already gone).
     *
     * @return array<string, mixed>
     */
    private static function siteFrom(\WP_Site $site): array
    {
        $id = (int) $site->blog_id;
        return [
            'site_id' => $id,
            'site_manage_url' => network_admin_url('site-info.php?id=' . $id),
            'site_domain' => (string) $site->domain,
            'site_path' => (string) $site->path,
            'site_network_id' => (int) $site->network_id,
            'site_registered' => (string) $site->registered,
            'site_public' => (bool) (int) $site->public,
            'site_archived' => (bool) (int) $site->archived,
            'site_spam' => (bool) (int) $site->spam,
            'site_deleted' => (bool) (int) $site->deleted,
        ];
    }

    /**
     * The `user_*` block for a user.
     *
     * @return array<string, mixed>
     */
    public static function user(int $userId): array
    {
        $u = get_userdata($userId);
        if (!$u instanceof \WP_User) {
            return ['user_id' => $userId];
        }
        return Payload::boundText([
            'user_id' => $userId,
            'user_login' => (string) $u->user_login,
            'user_email' => (string) $u->user_email,
            'user_display_name' => (string) $u->display_name,
            'user_first_name' => (string) $u->first_name,
            'user_last_name' => (string) $u->last_name,
            'user_registered' => (string) $u->user_registered,
            'user_is_super_admin' => is_super_admin($userId),
            'user_manage_url' => network_admin_url('user-edit.php?user_id=' . $userId),
        ], ['user_display_name', 'user_first_name', 'user_last_name']);
    }

    /**
     * The `post_*` block for a post (on the current site).
     *
     * @return array<string, mixed>
     */
    public static function post(\WP_Post $post): array
    {
        $author = get_userdata((int) $post->post_author);
        return Payload::boundText([
            'post_id' => (int) $post->ID,
            'post_title' => get_the_title($post),
            'post_type' => (string) $post->post_type,
            'post_status' => (string) $post->post_status,
            'post_url' => (string) get_permalink($post),
            'post_excerpt' => wp_strip_all_tags(get_the_excerpt($post)),
            'post_author_id' => (int) $post->post_author,
            'post_author_name' => $author instanceof \WP_User ? (string) $author->display_name : '',
            'post_date_gmt' => (string) $post->post_date_gmt,
            'post_edit_url' => admin_url('post.php?post=' . (int) $post->ID . '&action=edit'),
        ], ['post_title', 'post_excerpt', 'post_author_name']);
    }

    /**
     * An example payload for a core event.
     *
     * @return array<string, mixed>
     */
    public static function example(string $slug): array
    {
        $site = [
            'site_id' => 7,
            'site_title' => 'Acme Studio',
            'site_description' => 'Design and print',
            'site_url' => 'https://network.example.test/acme/',
            'site_admin_url' => 'https://network.example.test/acme/wp-admin/',
            'site_manage_url' => 'https://network.example.test/wp-admin/network/site-info.php?id=7',
            'site_domain' => 'network.example.test',
            'site_path' => '/acme/',
            'site_network_id' => 1,
            'site_registered' => '2026-07-15 10:22:31',
            'site_public' => true,
            'site_archived' => false,
            'site_spam' => false,
            'site_deleted' => false,
        ];
        $user = [
            'user_id' => 17,
            'user_login' => 'jane',
            'user_email' => 'jane@example.test',
            'user_display_name' => 'Jane Doe',
            'user_first_name' => 'Jane',
            'user_last_name' => 'Doe',
            'user_registered' => '2026-07-15 10:20:02',
            'user_is_super_admin' => false,
            'user_manage_url' => 'https://network.example.test/wp-admin/network/user-edit.php?user_id=17',
        ];
        $post = [
            'post_id' => 42,
            'post_title' => 'Hello from Acme',
            'post_type' => 'post',
            'post_status' => 'publish',
            'post_url' => 'https://network.example.test/acme/2026/07/15/hello-from-acme/',
            'post_excerpt' => 'Our first post on the network.',
            'post_author_id' => 17,
            'post_author_name' => 'Jane Doe',
            'post_date_gmt' => '2026-07-15 10:30:00',
            'post_edit_url' => 'https://network.example.test/acme/wp-admin/post.php?post=42&action=edit',
        ];
        switch ($slug) {
            case 'site_archived':
                return array_merge($site, ['site_archived' => true]);
            case 'site_spammed':
                return array_merge($site, ['site_spam' => true]);
            case 'site_deactivated':
                return array_merge($site, ['site_deleted' => true]);
            case 'user_registered':
            case 'user_deleted':
                return $user;
            case 'user_added_to_site':
                return $user + ['user_role' => 'editor'] + $site;
            case 'user_removed_from_site':
                return $user + $site;
            case 'post_published':
                return $post + $site;
            default:
                return $site;
        }
    }
}
