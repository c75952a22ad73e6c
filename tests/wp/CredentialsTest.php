<?php
/**
 * Receivers that need credentials: a webhook's own headers (`Authorization: Bearer …`,
 * `X-API-Key`) and a credential in its URL (`?token=…`) are sent on every request to the
 * real receiver, and never shown: not in the admin's list, edit form, log or test dialog, not
 * in REST reads, not in WP-CLI. What a reader was shown, written back, changes nothing.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class CredentialsTest extends WpTestCase
{
    private const P = 'MultisiteWebhooks\Plugin::instance()';

    /** The three credentials; none may appear anywhere a person or an API client reads. */
    private const TOKEN = 'tok-Qx7abc123';
    private const BEARER = 'Bearer hdr-s3cr3t-9f2';
    private const KEY = 'key-K3y-77aa';

    /** @var array{user:string, password:string, id:int, uuid:string} */
    private static array $admin;

    public static function setUpBeforeClass(): void
    {
        parent::setUpBeforeClass();
        self::$admin = self::applicationPassword('admin');
    }

    /**
     * @return array{status:int, headers:array<string, string>, raw:string, body:mixed}
     */
    private static function api(string $method, string $path, ?array $json = null): array
    {
        return self::rest($method, $path, $json, self::$admin);
    }

    /** The webhook as stored, credentials included. */
    private static function stored(int $id): array
    {
        return self::wpJson('echo json_encode(' . self::P . '->webhooks()->get(' . $id . ', true));');
    }

    private function assertNoCredential(string $text, string $where): void
    {
        foreach ([self::TOKEN, self::BEARER, 'hdr-s3cr3t', self::KEY] as $secret) {
            $this->assertStringNotContainsString($secret, $text, "$where shows a credential");
        }
    }

    /** Creates the webhook through REST; returns [id, path on the receiver]. */
    private function createWithCredentials(): array
    {
        $path = '/cred?x=1&token=' . self::TOKEN;
        $r = self::api('POST', '/webhooks', ['name' => 'CRM with a key', 'webhook_url' => $this->receiver->url($path), 'events' => ['test_ping'],
            'headers' => ['Authorization' => self::BEARER, 'X-API-Key' => self::KEY]]);
        $this->assertSame(201, $r['status'], $r['raw']);
        $this->receiver->addSecret((string) $r['body']['secret']);
        return [(int) $r['body']['id'], $path, $r];
    }

    public function testHeadersAndUrlCredentialsReachTheReceiverAndAreShownNowhere(): void
    {
        [$id, $path, $created] = $this->createWithCredentials();
        $this->assertSame($this->receiver->url('/cred?x=1&token=***'), $created['body']['webhook_url']);
        $this->assertSame(['Authorization' => '***', 'X-API-Key' => '***'], $created['body']['headers']);
        $this->assertNoCredential(str_replace((string) $created['body']['secret'], '', $created['raw']), 'the REST create answer');

        $eventId = trim(self::wp('echo hooks_emit("test_ping", ["n" => 1]);'));
        $got = $this->waitForPosts($path, 1)[0];
        $this->assertSignedDelivery($got, 'test_ping');
        $this->assertSame($eventId, $got['headers']['webhook-id']);
        $this->assertSame(self::BEARER, $got['headers']['authorization'] ?? null, 'the receiver gets the header');
        $this->assertSame(self::KEY, $got['headers']['x-api-key'] ?? null);

        // A test send carries them too, and its answer to the dialog shows none.
        $jar = self::login();
        [, $edit] = self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-edit&id=' . $id, $jar);
        $this->assertStringContainsString('value="Authorization"', $edit, 'the form lists the header by name');
        $this->assertStringContainsString('value="X-API-Key"', $edit);
        $this->assertStringNotContainsString(self::BEARER, $edit, 'the edit form never puts a saved header value in the page');
        $this->assertStringNotContainsString(self::KEY, $edit);
        preg_match('/var multisiteWebhooks = \{[^\n]*?"nonce":"([0-9a-f]+)"/', $edit, $m);
        [$status, $dialog] = self::http('http://localhost/wp-admin/admin-ajax.php', $jar, ['action' => 'multisite_webhooks_send_test', 'webhook_id' => (string) $id,
            'event' => 'test_ping', '_ajax_nonce' => $m[1] ?? '']);
        $this->assertSame(200, $status, $dialog);
        $this->assertTrue(json_decode($dialog, true)['success'] ?? false, $dialog);
        $this->assertNoCredential($dialog, 'the test dialog');
        $this->assertSame(self::BEARER, $this->waitForPosts($path, 2)[1]['headers']['authorization'] ?? null, 'a test send carries the header');

        self::importResults();
        $log = self::api('GET', '/deliveries?webhook_id=' . $id . '&context=edit');
        $this->assertSame(200, $log['status'], $log['raw']);
        $this->assertCount(2, $log['body']);
        foreach ($log['body'] as $attempt) {
            $this->assertSame($this->receiver->url('/cred?x=1&token=***'), $attempt['url']);
        }
        $one = self::api('GET', '/deliveries/' . $log['body'][0]['id'] . '?context=edit');
        $this->assertSame('(hidden)', $one['body']['request_headers']['authorization'] ?? $one['body']['request_headers']['Authorization'] ?? null, $one['raw']);
        $raw = self::wpJson('global $wpdb; echo json_encode($wpdb->get_col("SELECT CONCAT(url, request_headers) FROM " . MultisiteWebhooks\Store\Schema::table("deliveries")));');
        $this->assertNoCredential(implode("\n", $raw), 'the delivery log table');

        $reads = [
            'REST webhook' => self::api('GET', '/webhooks/' . $id . '?context=edit')['raw'],
            'REST list' => self::api('GET', '/webhooks?context=edit')['raw'],
            'REST deliveries' => $log['raw'] . $one['raw'],
            'wp webhook list' => self::cli('webhook list', [], ['fields' => 'id,name,webhook_url,headers'])['out'],
            'wp webhook get' => self::cli('webhook get', [$id], ['format' => 'json'])['out'],
            'wp webhook delivery list' => self::cli('webhook delivery list', [], ['webhook' => $id, 'fields' => 'id,url', 'format' => 'json'])['out'],
            'the list page' => self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks', $jar)[1],
            'the log page' => self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-log', $jar)[1],
            'the delivery page' => self::http('http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-log&delivery=' . $log['body'][0]['id'], $jar)[1],
        ];
        foreach ($reads as $where => $text) {
            if ($where !== 'the log page') { // the log's rows name the webhook, not its URL
                $this->assertStringContainsString('token=***', str_replace('\/', '/', html_entity_decode($text)), "$where shows the masked URL");
            }
            $this->assertNoCredential($text, $where);
        }
        $this->assertStringContainsString('"X-API-Key":"***"', $reads['wp webhook get']);
    }

    public function testWhatAReaderWasShownWrittenBackChangesNothing(): void
    {
        [$id] = $this->createWithCredentials();
        $before = self::stored($id);
        $read = self::api('GET', '/webhooks/' . $id . '?context=edit')['body'];
        $put = self::api('PUT', '/webhooks/' . $id, ['name' => 'Renamed', 'webhook_url' => $read['webhook_url'], 'headers' => $read['headers']]);
        $this->assertSame(200, $put['status'], $put['raw']);
        $after = self::stored($id);
        $this->assertSame('Renamed', $after['name']);
        $this->assertSame($before['webhook_url'], $after['webhook_url'], 'the masked URL written back keeps the stored one');
        $this->assertSame(['Authorization' => self::BEARER, 'X-API-Key' => self::KEY], $after['headers']);

        // "***" keeps one value, a new header is added, one left out is removed.
        $put = self::api('PUT', '/webhooks/' . $id, ['headers' => ['Authorization' => '***', 'X-Tenant' => 'acme']]);
        $this->assertSame(200, $put['status'], $put['raw']);
        $this->assertSame(['Authorization' => self::BEARER, 'X-Tenant' => 'acme'], self::stored($id)['headers']);

        // A new URL with another token is the new URL.
        $put = self::api('PUT', '/webhooks/' . $id, ['webhook_url' => $this->receiver->url('/cred?token=other-one')]);
        $this->assertSame(200, $put['status'], $put['raw']);
        $this->assertSame($this->receiver->url('/cred?token=other-one'), self::stored($id)['webhook_url']);
        $this->assertSame($this->receiver->url('/cred?token=***'), $put['body']['webhook_url']);
    }

    public function testHeadersTheEngineOwnsOrCannotSendAreRefusedWithTheirNameAndNothingChanges(): void
    {
        [$id] = $this->createWithCredentials();
        $before = self::stored($id);
        foreach (
            [
                [['Content-Type' => 'text/plain'], 'Content-Type'],
                [['webhook-signature' => 'v1,forged'], 'webhook-signature'],
                [['X-Evil' => "a\r\nX-Injected: 1"], 'X-Evil'],
                [['Bad Name' => 'v'], 'Bad Name'],
            ] as [$headers, $name]
        ) {
            $r = self::api('PUT', '/webhooks/' . $id, ['headers' => $headers]);
            $this->assertSame(400, $r['status'], $r['raw']);
            $this->assertStringContainsString($name, $r['raw']);
            $this->assertStringNotContainsString('X-Injected', $r['raw'], 'a refused value is never echoed');
            $this->assertSame($before, self::stored($id), 'nothing was changed');
        }
        $cli = self::cli('webhook update', [$id], ['headers' => '{"User-Agent":"mine"}']);
        $this->assertSame(1, $cli['status']);
        $this->assertStringContainsString('User-Agent', $cli['err']);
        $cli = self::cli('webhook update', [$id], ['headers' => 'Authorization: x']);
        $this->assertSame(1, $cli['status']);
        $this->assertStringContainsString('--headers is a JSON object', $cli['err']);
        $this->assertSame($before, self::stored($id));
        $cli = self::cli('webhook update', [$id], ['headers' => '{}']);
        $this->assertSame(0, $cli['status'], $cli['err']);
        $this->assertSame([], self::stored($id)['headers'], "'{}' removes them");
    }

    public function testTheEditFormKeepsASavedValueLeftEmptyAndSaysWhichHeaderIsWrong(): void
    {
        [$id] = $this->createWithCredentials();
        $jar = self::login();
        $url = 'http://localhost/wp-admin/network/admin.php?page=multisite-webhooks-edit&id=' . $id;
        [, $page] = self::http($url, $jar);
        $form = ['_wpnonce' => self::hiddenInput($page, '_wpnonce'), 'mwh_action' => 'save', 'name' => 'CRM with a key',
            'webhook_url' => self::stored($id)['webhook_url'], 'events[]' => 'test_ping', 'payload_format' => 'flat', 'active' => '1'];
        $rows = ['headers[0][name]' => 'Authorization', 'headers[0][value]' => '', 'headers[1][name]' => 'X-Added', 'headers[1][value]' => ' v2 '];
        [$status] = self::http($url, $jar, $form + $rows);
        $this->assertSame(302, $status);
        $this->assertSame(['Authorization' => self::BEARER, 'X-Added' => 'v2'], self::stored($id)['headers'], 'X-API-Key, its row removed, is gone');

        [$status, $html] = self::http($url, $jar, $form + ['headers[0][name]' => 'Host', 'headers[0][value]' => 'evil.example']);
        $this->assertSame(200, $status);
        $this->assertMatchesRegularExpression('/id="mwh-error-headers"[^>]*>[^<]*Host/', $html);
        $this->assertSame(['Authorization' => self::BEARER, 'X-Added' => 'v2'], self::stored($id)['headers']);
    }
}
