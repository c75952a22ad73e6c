<?php
/**
 * WordPress network events, raised by real WordPress actions, reach subscribed webhooks
 * signed and with the documented payload — and only those.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class NetworkEventsTest extends WpTestCase
{
    public function testSiteCreatedByCodeReachesOnlyTheActiveSubscribedWebhook(): void
    {
        $this->createWebhook('Sites', '/sites', ['site_created']);
        $this->createWebhook('Users only', '/users', ['user_registered']);
        $this->createWebhook('Sites, turned off', '/off', ['site_created'], false);
        $path = '/e2e-' . bin2hex(random_bytes(3)) . '/';
        $id = (int) trim(self::wp('echo wpmu_create_blog("localhost", ' . var_export($path, true) . ', "E2E Code Site", 1);'));
        $this->assertGreaterThan(1, $id);

        $r = $this->waitForPosts('/sites', 1)[0];
        $this->assertSignedDelivery($r, 'site_created');
        $p = json_decode($r['body'], true);
        $this->assertSame($id, $p['site_id']);
        $this->assertSame('E2E Code Site', $p['site_title']);
        $this->assertSame('http://localhost' . $path, $p['site_url']);
        $this->assertSame('http://localhost' . $path . 'wp-admin/', $p['site_admin_url']);
        $this->assertSame($path, $p['site_path']);
        $this->assertStringEndsWith('/wp-admin/network/site-info.php?id=' . $id, $p['site_manage_url']);
        usleep(500_000);
        $this->assertCount(1, $this->posts('/sites'), 'delivered once');
        $this->assertSame([], $this->posts('/users'), 'a webhook for other events hears nothing');
        $this->assertSame([], $this->posts('/off'), 'an inactive webhook hears nothing');
    }

    public function testSiteCreatedFromTheNetworkAdminForm(): void
    {
        $this->createWebhook('Sites', '/sites', ['site_created']);
        $jar = self::login();
        [$status, $page] = self::http('http://localhost/wp-admin/network/site-new.php', $jar);
        $this->assertSame(200, $status);
        $slug = 'form' . bin2hex(random_bytes(3));
        [$status] = self::http('http://localhost/wp-admin/network/site-new.php?action=add-site', $jar, [
            '_wpnonce_add-blog' => self::hiddenInput($page, '_wpnonce_add-blog'),
            '_wp_http_referer' => '/wp-admin/network/site-new.php',
            'blog[domain]' => $slug,
            'blog[title]' => 'Made in the Form',
            'blog[email]' => 'admin@example.com',
            'submit' => 'Add Site',
        ]);
        $this->assertSame(302, $status, 'WordPress redirects after adding the site');
        $r = $this->waitForPosts('/sites', 1)[0];
        $this->assertSignedDelivery($r, 'site_created');
        $p = json_decode($r['body'], true);
        $this->assertSame('Made in the Form', $p['site_title']);
        $this->assertSame('/' . $slug . '/', $p['site_path']);
        unlink($jar);
    }

    public function testUserRegisteredAndAddedToSite(): void
    {
        $this->createWebhook('Users', '/users', ['user_registered', 'user_added_to_site']);
        $login = 'e2e' . bin2hex(random_bytes(3));
        $uid = (int) trim(self::wp('$id = wpmu_create_user(' . var_export($login, true) . ', wp_generate_password(), "' . $login . '@example.test"); echo $id;'));
        $this->assertGreaterThan(1, $uid);
        $r = $this->waitForPosts('/users', 1)[0];
        $this->assertSignedDelivery($r, 'user_registered');
        $p = json_decode($r['body'], true);
        $this->assertSame($uid, $p['user_id']);
        $this->assertSame($login, $p['user_login']);
        $this->assertSame($login . '@example.test', $p['user_email']);
        $this->assertArrayNotHasKey('user_pass', $p);

        $site2 = (int) trim(self::wp('echo get_current_blog_id();', 'http://localhost/site2/'));
        self::wp("add_user_to_blog($site2, $uid, 'editor');");
        $r = $this->waitForPosts('/users', 2)[1];
        $this->assertSignedDelivery($r, 'user_added_to_site');
        $p = json_decode($r['body'], true);
        $this->assertSame([$uid, 'editor', $site2, 'http://localhost/site2/'], [$p['user_id'], $p['user_role'], $p['site_id'], $p['site_url']]);
    }

    public function testPostPublishedOnSite2(): void
    {
        $this->createWebhook('Posts', '/posts', ['post_published'], true, 'envelope');
        $title = 'Hello ' . bin2hex(random_bytes(3));
        $postId = (int) trim(
            self::wp('echo wp_insert_post(["post_title" => ' . var_export($title, true) . ', "post_content" => "Body", "post_status" => "publish", "post_author" => 1]);', 'http://localhost/site2/')
        );
        $r = $this->waitForPosts('/posts', 1)[0];
        $this->assertSignedDelivery($r, 'post_published');
        $body = json_decode($r['body'], true);
        $this->assertSame('post_published', $body['type'], 'the envelope format names the event');
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/', $body['timestamp']);
        $p = $body['data'];
        $this->assertSame([$postId, $title, 'post', 'publish'], [$p['post_id'], $p['post_title'], $p['post_type'], $p['post_status']]);
        $this->assertStringStartsWith('http://localhost/site2/', $p['post_url']);
        $this->assertSame('http://localhost/site2/', $p['site_url']);
        // Updating the published post is not a second publication.
        self::wp("wp_update_post(['ID' => $postId, 'post_content' => 'Edited']);", 'http://localhost/site2/');
        usleep(500_000);
        $this->assertCount(1, $this->posts('/posts'));
    }

    public function testUltimateMultisiteEventsAreForwardedUnchanged(): void
    {
        $catalog = json_decode((string) file_get_contents(self::umCatalogPath()), true);
        $slugs = array_column($catalog, 'slug');
        $this->createWebhook('Ultimate Multisite', '/um', $slugs);
        $types = self::wpJson('echo json_encode(array_column(array_filter(MultisiteWebhooks\Plugin::instance()->catalog()->all(), fn($e) => $e["source"] === "ultimate-multisite"), "slug"));');
        sort($types);
        $sorted = $slugs;
        sort($sorted);
        $this->assertSame($sorted, $types, "Ultimate Multisite's registered types join the catalog");
        // Ultimate Multisite raises wu_event (slug, payload) for each event it dispatches.
        self::wp('foreach (json_decode(file_get_contents(WPMU_PLUGIN_DIR . "/mwh-e2e-um-catalog.json"), true) as $e) { do_action("wu_event", $e["slug"], $e["payload_example"]); }');
        $got = $this->waitForPosts('/um', count($catalog));
        $this->assertCount(count($catalog), $got);
        $bySlug = [];
        foreach ($got as $r) {
            $this->assertTrue($r['signature_valid']);
            $bySlug[$r['headers']['x-webhook-event']] = $r['body'];
        }
        // The bytes Ultimate Multisite's own sender posts for the same payload: wp_json_encode()
        // with its default flags (inc/managers/class-webhook-manager.php, send_webhooks()).
        $umBodies = self::wpJson('$out = [];
            foreach (json_decode(file_get_contents(WPMU_PLUGIN_DIR . "/mwh-e2e-um-catalog.json"), true) as $e) { $out[$e["slug"]] = wp_json_encode($e["payload_example"]); }
            echo json_encode($out);');
        foreach ($catalog as $e) {
            $this->assertSame($umBodies[$e['slug']], $bySlug[$e['slug']] ?? null, "{$e['slug']} arrives byte for byte as Ultimate Multisite would post it");
            $this->assertEquals($e['payload_example'], json_decode($bySlug[$e['slug']], true), "{$e['slug']} carries its payload's fields unchanged");
        }
    }
}
