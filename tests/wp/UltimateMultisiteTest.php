<?php
/**
 * Switching from Ultimate Multisite: with a stand-in for its webhook sender
 * (fixtures/mwh-e2e-um-manager.php, modelled on Ultimate Multisite 2.4.12's
 * inc/managers/class-webhook-manager.php), after the import only this plugin's signed
 * request arrives, Ultimate Multisite's Send Test is answered here, a webhook saved there is
 * imported at once, the bytes are Ultimate Multisite's own, and its event types are known
 * even to code that registers events before `init`.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class UltimateMultisiteTest extends WpTestCase
{
    private const TABLE = '$wpdb->base_prefix . "wu_webhooks"';

    public static function setUpBeforeClass(): void
    {
        parent::setUpBeforeClass();
        copy(__DIR__ . '/fixtures/mwh-e2e-um-manager.php', self::$env['WP_CONTENT_DIR'] . '/mu-plugins/mwh-e2e-um-manager.php');
        self::reloadFpm();
    }

    public static function tearDownAfterClass(): void
    {
        @unlink(self::$env['WP_CONTENT_DIR'] . '/mu-plugins/mwh-e2e-um-manager.php');
        @unlink(self::$env['WP_CONTENT_DIR'] . '/mu-plugins/mwh-e2e-early-event.php');
        parent::tearDownAfterClass();
    }

    protected function setUp(): void
    {
        parent::setUp();
        self::wp('global $wpdb; $t = ' . self::TABLE . '; $wpdb->query("DROP TABLE IF EXISTS $t");
            $wpdb->query("CREATE TABLE $t (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, name varchar(191) NOT NULL, webhook_url varchar(191) NOT NULL,
                event varchar(191) NOT NULL, event_count int(10) NOT NULL DEFAULT 0, active tinyint(4) NOT NULL DEFAULT 1, hidden tinyint(4) NOT NULL DEFAULT 0,
                integration varchar(191) NOT NULL DEFAULT \'manual\', date_last_failed datetime NULL, date_created datetime NULL, date_modified datetime NULL, PRIMARY KEY (id))");
            delete_site_option(MultisiteWebhooks\Options::UM_TAKEOVER);');
    }

    protected function tearDown(): void
    {
        self::wp('global $wpdb; $wpdb->query("DROP TABLE IF EXISTS " . ' . self::TABLE . ');
            delete_site_option(MultisiteWebhooks\Options::UM_TAKEOVER);
            $wpdb->query("DELETE FROM " . MultisiteWebhooks\Store\Schema::table("deliveries") . " WHERE outcome = \'refused\'");');
        parent::tearDown();
    }

    /** A row in Ultimate Multisite's table, saved as its model saves (wu_webhook_post_save fires). */
    private static function umWebhook(string $name, string $url, string $event, int $active = 1): int
    {
        return (int) trim(self::wp('echo mwh_e2e_um_save_webhook(["name" => ' . var_export($name, true) . ', "webhook_url" => ' . var_export($url, true) . ',
            "event" => ' . var_export($event, true) . ', "active" => ' . $active . ', "date_created" => gmdate("Y-m-d H:i:s")]);'));
    }

    /** Raises `$slug` as Ultimate Multisite's Event_Manager does, with its catalog example. */
    private static function raise(string $slug): void
    {
        self::wp('foreach (json_decode(file_get_contents(WPMU_PLUGIN_DIR . "/mwh-e2e-um-catalog.json"), true) as $e) {
            if ($e["slug"] === ' . var_export($slug, true) . ') { mwh_e2e_um_do_event($e["slug"], $e["payload_example"]); } }');
    }

    public function testBeforeTheSwitchUltimateMultisitePostsItsOwnUnsignedCopy(): void
    {
        // The stand-in behaves as the real sender: every row, active or not, unsigned.
        self::umWebhook('Inactive in UM', $this->receiver->url('/um-before'), 'payment_received', 0);
        self::raise('payment_received');
        $got = $this->waitForPosts('/um-before', 1);
        $this->assertArrayNotHasKey('webhook-signature', $got[0]['headers']);
    }

    public function testAfterTheImportOnlyOneSignedRequestArrives(): void
    {
        self::umWebhook('Payments', $this->receiver->url('/um-pay'), 'payment_received');
        $r = self::cli('webhook import-ultimate-multisite', [], ['disable-source' => true]);
        $this->assertSame(0, $r['status'], json_encode($r));
        $secret = self::wpJson(
            '$h = MultisiteWebhooks\Plugin::instance()->webhooks()->list()[0]; echo json_encode(MultisiteWebhooks\Plugin::instance()->webhooks()->get($h["id"], true)["secrets"][0]["secret"]);'
        );
        $this->receiver->addSecret($secret);
        self::raise('payment_received');
        $got = $this->waitForPosts('/um-pay', 1);
        usleep(1_500_000);
        $got = $this->posts('/um-pay');
        $this->assertCount(1, $got, 'one request: Ultimate Multisite no longer sends its own copy');
        $this->assertSignedDelivery($got[0], 'payment_received');
    }

    public function testTheSwitchCanBeUndoneFromTheImportPage(): void
    {
        self::umWebhook('Payments', $this->receiver->url('/um-undo'), 'payment_received');
        self::cli('webhook import-ultimate-multisite');
        $jar = self::login();
        [, $page] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-import', $jar);
        $this->assertStringContainsString('Give sending back to Ultimate Multisite', $page);
        [$status] = self::http(
            'http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-import',
            $jar,
            ['_wpnonce' => self::hiddenInput($page, '_wpnonce'), 'mwh_action' => 'release']
        );
        unlink($jar);
        $this->assertSame(302, $status);
        $this->assertFalse(self::wpJson('echo json_encode(MultisiteWebhooks\Events\UltimateMultisite::tookOver());'));
        self::raise('payment_received');
        $unsigned = array_filter($this->waitForPosts('/um-undo', 2), static fn (array $r): bool => !isset($r['headers']['webhook-signature']));
        $this->assertCount(1, $unsigned, 'Ultimate Multisite sends its own copy again (and ours still goes out)');
    }

    public function testUltimateMultisitesSendTestIsAnsweredHere(): void
    {
        $umId = self::umWebhook('Payments', $this->receiver->url('/um-test'), 'payment_received');
        self::cli('webhook import-ultimate-multisite');
        $jar = self::login();
        [, $nonce] = self::http('http://localhost/?mwh_e2e_nonce=wu_webhook_send_test', $jar);
        [$status, $body] = self::http(
            'http://localhost/wp-admin/admin-ajax.php',
            $jar,
            ['action' => 'wu_send_test_event', 'nonce' => trim($nonce), 'webhook_id' => (string) $umId, 'webhook_event' => 'payment_received']
        );
        unlink($jar);
        $this->assertSame(200, $status, $body);
        $answer = json_decode($body, true);
        $this->assertSame($umId, $answer['id'], $body);
        $this->assertTrue($answer['ok'], $body);
        $got = $this->posts('/um-test');
        $this->assertCount(1, $got);
        $this->assertArrayHasKey('webhook-signature', $got[0]['headers'], 'sent by this plugin, signed');
        $this->assertSame('2.4.12', json_decode($got[0]['body'], true)['wu_version'], 'the example carries wu_version, as a live event does');
    }

    public function testAWebhookSavedInUltimateMultisiteAfterTheSwitchIsImportedAtOnce(): void
    {
        self::cli('webhook import-ultimate-multisite');
        $umId = self::umWebhook('Made in UM later', $this->receiver->url('/um-later'), 'payment_received');
        $mine = self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->webhooks()->list());');
        $this->assertSame([$umId], array_column($mine, 'migrated_from_id'));
        $this->assertSame(['payment_received'], $mine[0]['events']);
        // Ultimate Multisite's old page leads to this plugin's list.
        $jar = self::login();
        [$status, ] = self::http('http://localhost/wp-admin/network/admin.php?page=wp-ultimo-webhooks', $jar);
        unlink($jar);
        $this->assertSame(302, $status);
    }

    public function testTheAdminPreviewsTheImportThenImportsWithTheSameRules(): void
    {
        $good = self::umWebhook('CRM', $this->receiver->url('/um-crm'), 'payment_received');
        $private = self::umWebhook('Intranet', 'http://10.1.2.3/hook', 'payment_received');
        $zap = self::umWebhook('Zap', $this->receiver->url('/um-zap'), 'membership_created');
        self::wp('global $wpdb; $wpdb->update($wpdb->base_prefix . "wu_webhooks", ["hidden" => 1, "integration" => "zapier"], ["id" => ' . $zap . ']);');
        $gone = self::umWebhook('Old add-on', $this->receiver->url('/um-old'), 'some_removed_event');
        $this->assertStringContainsString(
            '4 Ultimate Multisite webhooks are not in Multisite Webhooks yet',
            implode("\n", self::wpJson('echo json_encode(array_map(static fn ($n) => wp_strip_all_tags($n[1]), MultisiteWebhooks\Notices::collect(MultisiteWebhooks\Plugin::instance())));'))
        );
        $jar = self::login();
        [$status, $page] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-import', $jar);
        $this->assertSame(200, $status);
        $this->assertMatchesRegularExpression('/data-source-id="' . $good . '" data-action="import"/', $page);
        $this->assertMatchesRegularExpression('/data-source-id="' . $private . '" data-action="skip">.*10\.1\.2\.3 \(private/s', $page);
        $this->assertMatchesRegularExpression('/data-source-id="' . $zap . '" data-action="import"><td>Zap <span class="mwh-badge">hidden in Ultimate Multisite/', $page);
        $this->assertMatchesRegularExpression('/data-source-id="' . $gone . '" data-action="skip">.*no event &quot;some_removed_event&quot;/s', $page);
        $this->assertSame(0, (int) trim(self::wp('echo MultisiteWebhooks\Plugin::instance()->webhooks()->count();')), 'a preview saves nothing');
        [$status] = self::http(
            'http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-import',
            $jar,
            ['_wpnonce' => self::hiddenInput($page, '_wpnonce'), 'mwh_action' => 'import', 'disable_source' => '1']
        );
        $this->assertSame(302, $status);
        $mine = self::wpJson('echo json_encode(array_column(MultisiteWebhooks\Plugin::instance()->webhooks()->list(), "hidden", "migrated_from_id"));');
        $this->assertSame([$good => false, $zap => true], $mine, 'the private and the unknown ones are not imported; the hidden one is');
        [, $list] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks', $jar);
        $badge = '~Zap</a></strong> <span class="mwh-badge mwh-badge-hidden" title="Ultimate Multisite hides webhooks that an integration[^"]*">hidden</span>~';
        $this->assertMatchesRegularExpression($badge, $list, 'visible to the network admin, marked');
        unlink($jar);
        $this->assertTrue(self::wpJson('echo json_encode(MultisiteWebhooks\Events\UltimateMultisite::tookOver());'));
    }

    public function testEveryUltimateMultisiteEventArrivesAsUltimateMultisiteWouldPostIt(): void
    {
        $catalog = json_decode((string) file_get_contents(self::umCatalogPath()), true);
        $this->createWebhook('All of UM', '/um-all', array_column($catalog, 'slug'));
        self::wp('foreach (json_decode(file_get_contents(WPMU_PLUGIN_DIR . "/mwh-e2e-um-catalog.json"), true) as $e) { mwh_e2e_um_do_event($e["slug"], $e["payload_example"]); }');
        $got = $this->waitForPosts('/um-all', count($catalog));
        $expected = self::wpJson('$out = []; foreach (json_decode(file_get_contents(WPMU_PLUGIN_DIR . "/mwh-e2e-um-catalog.json"), true) as $e) {
            $p = $e["payload_example"]; $p["wu_version"] = wu_get_version(); $out[$e["slug"]] = wp_json_encode($p); } echo json_encode($out);');
        foreach ($got as $r) {
            $slug = $r['headers']['x-webhook-event'];
            $this->assertSame($expected[$slug], $r['body'], "$slug: byte for byte what Ultimate Multisite posts (wp_json_encode, default flags, wu_version)");
        }
        $sample = self::rest('GET', '/events/payment_received/example', null, self::applicationPassword('admin'));
        $this->assertSame('2.4.12', $sample['body']['wu_version'] ?? null, 'the Zapier sample carries wu_version');
    }

    public function testCodeThatRegistersAnEventBeforeInitDoesNotHideUltimateMultisitesEvents(): void
    {
        file_put_contents(
            self::$env['WP_CONTENT_DIR'] . '/mu-plugins/mwh-e2e-early-event.php',
            "<?php\n// Test-only: registers a custom event as a plugin file loads (before init).\n"
            . "add_action('plugins_loaded', static function () { hooks_register_event('early_bird', ['name' => 'Early', 'payload' => ['x' => 1]]); });\n"
        );
        try {
            $has = self::wpJson('$c = MultisiteWebhooks\Plugin::instance()->catalog(); echo json_encode([$c->has("early_bird"), $c->has("payment_received")]);');
            $this->assertSame([true, true], $has);
            $hook = $this->createWebhook('Payments', '/um-early', ['payment_received']);
            $this->assertGreaterThan(0, $hook['id'], 'a webhook for payment_received can be saved');
        } finally {
            @unlink(self::$env['WP_CONTENT_DIR'] . '/mu-plugins/mwh-e2e-early-event.php');
        }
    }

    public function testAddOnEventNamesNoWebhookCanHearAreReportedOnce(): void
    {
        self::wp('update_site_option("mwh_e2e_um_addon_types", ["addon/paid", "with space", "addon_ok"]);');
        try {
            $out = self::wpJson('$p = MultisiteWebhooks\Plugin::instance(); $has = $p->catalog()->has("addon_ok");
                echo json_encode(["has" => $has, "notices" => array_map(static fn ($n) => wp_strip_all_tags(html_entity_decode($n[1])), MultisiteWebhooks\Notices::collect($p))]);');
            $this->assertTrue($out['has'], 'a valid add-on event joins the catalog');
            $this->assertStringContainsString('registers events whose names a webhook cannot hear (use letters, digits, "_", "-", "." or ":"): addon/paid, with space', implode("\n", $out['notices']));
        } finally {
            self::wp('delete_site_option("mwh_e2e_um_addon_types"); delete_site_option(MultisiteWebhooks\Options::UM_REFUSED_SLUGS);');
        }
    }

    public function testAnOversizedUltimateMultisiteEventIsRecordedAsRefused(): void
    {
        $this->createWebhook('Payments', '/um-big', ['payment_received']);
        self::wp('mwh_e2e_um_do_event("payment_received", ["payment_id" => 1, "notes" => str_repeat("n", 1100000)]);');
        $refused = self::wpJson('echo json_encode(MultisiteWebhooks\Plugin::instance()->deliveries()->list(["status" => "refused", "event" => "payment_received"]));');
        $this->assertSame('too_large', $refused[0]['error_kind'] ?? null, json_encode($refused));
    }
}
