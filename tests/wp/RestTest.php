<?php
/**
 * The REST API (multisite-webhooks/v1) over real HTTP with application passwords: webhook
 * CRUD, a Zapier-style subscribe → receive → unsubscribe, the event catalog, test sends,
 * the delivery log with retry, authorisation and validation — and secrets never leaking.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class RestTest extends WpTestCase
{
    private const BASE = 'http://localhost/wp-json/multisite-webhooks/v1';

    /** @var array{user:string, password:string, id:int, uuid:string} */
    private static array $admin;

    /** @var array{user:string, password:string, id:int, uuid:string} */
    private static array $plain;

    public static function setUpBeforeClass(): void
    {
        parent::setUpBeforeClass();
        $env = self::wpJson('echo json_encode(["type" => wp_get_environment_type(), "available" => wp_is_application_passwords_available()]);');
        if ($env['available'] !== true) {
            throw new \RuntimeException('application passwords are not available over HTTP here (environment type ' . $env['type'] . ')');
        }
        self::$admin = self::applicationPassword('admin');
        $login = 'restplain' . bin2hex(random_bytes(3));
        self::wp('$id = wpmu_create_user(' . var_export($login, true) . ', wp_generate_password(), ' . var_export($login . '@example.test', true) . ');
            if (!$id) { fwrite(STDERR, "no user"); exit(1); }
            add_user_to_blog(get_current_blog_id(), $id, "administrator");');
        self::$plain = self::applicationPassword($login);
    }

    public static function tearDownAfterClass(): void
    {
        self::wp('WP_Application_Passwords::delete_application_password(' . self::$admin['id'] . ', ' . var_export(self::$admin['uuid'], true) . ');
            require_once ABSPATH . "wp-admin/includes/ms.php";
            wpmu_delete_user(' . self::$plain['id'] . ');');
        parent::tearDownAfterClass();
    }

    /**
     * One REST request; `$as` is 'admin', 'plain', or null (anonymous).
     *
     * @param array<string, mixed>|null $json
     * @return array{status:int, headers:array<string, string>, raw:string, body:mixed}
     */
    private static function api(string $method, string $path, ?array $json = null, ?string $as = 'admin'): array
    {
        return self::rest($method, $path, $json, $as === null ? null : ($as === 'admin' ? self::$admin : self::$plain));
    }

    /** Asserts a response is a 400 parameter error naming `$field`. */
    private function assertInvalidParam(array $r, string $field, string $code = 'rest_invalid_param'): void
    {
        $this->assertSame(400, $r['status'], $r['raw']);
        $this->assertSame($code, $r['body']['code'], $r['raw']);
        $params = $r['body']['data']['params'];
        $named = array_is_list($params) ? $params : array_keys($params);
        $this->assertContains($field, $named, $r['raw']);
        if (!array_is_list($params)) {
            $this->assertNotSame('', (string) $params[$field], 'the error says what is wrong with ' . $field);
        }
    }

    private function publishOnSite2(string $title): int
    {
        return (int) trim(
            self::wp('echo wp_insert_post(["post_title" => ' . var_export($title, true) . ', "post_content" => "Body", "post_status" => "publish", "post_author" => 1]);', 'http://localhost/site2/')
        );
    }

    public function testCrudRoundTripNeverShowsSecretsOutsideCreateAndRotate(): void
    {
        $r = self::api('POST', '/webhooks', [
            'name' => 'Round trip',
            'webhook_url' => $this->receiver->url('/crud'),
            'events' => ['test_ping', 'post_published'],
            'payload_format' => 'envelope',
        ]);
        $this->assertSame(201, $r['status'], $r['raw']);
        $hook = $r['body'];
        $secret = $hook['secret'];
        $this->assertMatchesRegularExpression('#^whsec_[A-Za-z0-9+/]{43}=$#', $secret);
        $this->assertSame(self::BASE . '/webhooks/' . $hook['id'], $r['headers']['location']);
        $this->assertSame(
            ['Round trip', $this->receiver->url('/crud'), ['test_ping', 'post_published'], 'test_ping', true, 'active', 'envelope', 'manual', false],
            [$hook['name'], $hook['webhook_url'], $hook['events'], $hook['event'], $hook['active'], $hook['status'], $hook['payload_format'], $hook['integration'], $hook['hidden']]
        );
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $hook['date_created']);
        $this->assertFalse($hook['secret_rotating']);

        $got = self::api('GET', '/webhooks/' . $hook['id']);
        $this->assertSame(200, $got['status']);
        $this->assertStringNotContainsString($secret, $got['raw']);
        $this->assertStringNotContainsString('whsec_', $got['raw']);
        unset($hook['secret']);
        $this->assertSame($hook, $got['body'], 'GET shows what create returned, minus the secret');
        $expected = ['id', 'name', 'webhook_url', 'headers', 'events', 'event', 'active', 'status', 'disabled_reason', 'url_checked', 'payload_format', 'integration', 'hidden',
            'event_count', 'failure_count', 'date_created', 'date_modified', 'date_last_failed', 'date_last_delivery', 'last_status', 'secret_rotating', '_links'];
        $this->assertSame($expected, array_keys($got['body']));

        // Two more, to see filters and paging.
        foreach (['Second', 'Third'] as $i => $name) {
            $this->assertSame(
                201,
                self::api(
                    'POST',
                    '/webhooks',
                    ['name' => $name, 'url' => $this->receiver->url('/other'), 'event' => 'site_created', 'integration' => $i ? 'zapier' : 'manual', 'active' => (bool) $i]
                )['status']
            );
        }
        $list = self::api('GET', '/webhooks?per_page=2&orderby=name&order=desc');
        $this->assertSame(200, $list['status']);
        $this->assertSame(['3', '2'], [$list['headers']['x-wp-total'], $list['headers']['x-wp-totalpages']]);
        $this->assertSame(['Third', 'Second'], array_column($list['body'], 'name'));
        $this->assertStringNotContainsString('whsec_', $list['raw']);
        $page2 = self::api('GET', '/webhooks?per_page=2&page=2&orderby=name&order=desc');
        $this->assertSame(['Round trip'], array_column($page2['body'], 'name'));
        $this->assertStringNotContainsString($secret, $page2['raw']);
        $this->assertSame(['Third'], array_column(self::api('GET', '/webhooks?integration=zapier')['body'], 'name'));
        $this->assertSame(['Second'], array_column(self::api('GET', '/webhooks?active=false')['body'], 'name'));
        $this->assertSame(['Round trip'], array_column(self::api('GET', '/webhooks?event=post_published')['body'], 'name'));
        $this->assertSame(['Round trip'], array_column(self::api('GET', '/webhooks?search=trip')['body'], 'name'));

        // Partial updates change only what is sent.
        $p = self::api('PATCH', '/webhooks/' . $hook['id'], ['name' => 'Renamed', 'active' => false]);
        $this->assertSame(200, $p['status'], $p['raw']);
        $this->assertSame(
            ['Renamed', false, 'inactive', ['test_ping', 'post_published'], 'envelope'],
            [$p['body']['name'], $p['body']['active'], $p['body']['status'], $p['body']['events'], $p['body']['payload_format']]
        );
        $u = self::api('PUT', '/webhooks/' . $hook['id'], ['event' => 'site_created', 'payload_format' => 'flat']);
        $this->assertSame(200, $u['status'], $u['raw']);
        $this->assertSame([['site_created'], 'site_created', 'flat', 'Renamed'], [$u['body']['events'], $u['body']['event'], $u['body']['payload_format'], $u['body']['name']]);
        $this->assertStringNotContainsString('whsec_', $u['raw']);

        // Rotation: a new secret once; the old one keeps signing for a day.
        $rot = self::api('POST', '/webhooks/' . $hook['id'] . '/rotate-secret');
        $this->assertSame(200, $rot['status'], $rot['raw']);
        $this->assertSame(['secret', 'previous_valid_until'], array_keys($rot['body']));
        $this->assertMatchesRegularExpression('#^whsec_#', $rot['body']['secret']);
        $this->assertNotSame($secret, $rot['body']['secret']);
        $this->assertEqualsWithDelta(time() + 86400, strtotime($rot['body']['previous_valid_until']), 120);
        $after = self::api('GET', '/webhooks/' . $hook['id']);
        $this->assertTrue($after['body']['secret_rotating']);
        $this->assertStringNotContainsString('whsec_', $after['raw']);
        $this->assertStringNotContainsString('whsec_', self::api('GET', '/webhooks')['raw']);

        $d = self::api('DELETE', '/webhooks/' . $hook['id']);
        $this->assertSame(200, $d['status'], $d['raw']);
        $this->assertTrue($d['body']['deleted']);
        $this->assertSame([$hook['id'], 'Renamed'], [$d['body']['previous']['id'], $d['body']['previous']['name']]);
        $this->assertStringNotContainsString('whsec_', $d['raw']);
        $this->assertSame(404, self::api('GET', '/webhooks/' . $hook['id'])['status']);
        $this->assertSame(404, self::api('DELETE', '/webhooks/' . $hook['id'])['status']);
        $this->assertSame(404, self::api('PATCH', '/webhooks/' . $hook['id'], ['name' => 'Ghost'])['status']);
        $this->assertSame('2', self::api('GET', '/webhooks')['headers']['x-wp-total']);
    }

    public function testFieldsContextLinksAndEmbedWorkAsInCore(): void
    {
        $created = self::api('POST', '/webhooks', ['name' => 'Shapes', 'webhook_url' => $this->receiver->url('/shapes'), 'events' => ['test_ping'], 'integration' => 'zapier']);
        $this->assertSame(201, $created['status'], $created['raw']);
        $id = $created['body']['id'];
        $this->receiver->addSecret($created['body']['secret']);

        $one = self::api('GET', '/webhooks/' . $id . '?_fields=id,name');
        $this->assertSame(['id' => $id, 'name' => 'Shapes'], $one['body'], '_fields trims one webhook');
        $list = self::api('GET', '/webhooks?_fields=id,name');
        $this->assertSame([['id' => $id, 'name' => 'Shapes']], $list['body'], '_fields trims every item of a list');
        $this->assertSame('1', $list['headers']['x-wp-total']);

        $embed = self::api('GET', '/webhooks/' . $id . '?context=embed');
        $this->assertSame(200, $embed['status'], $embed['raw']);
        $this->assertSame(['id', 'name', 'webhook_url', 'events', 'active', 'status', '_links'], array_keys($embed['body']), 'context=embed keeps the embed fields');
        $this->assertInvalidParam(self::api('GET', '/webhooks/' . $id . '?context=nonsense'), 'context');

        $links = self::api('GET', '/webhooks/' . $id)['body']['_links'];
        $this->assertSame(self::BASE . '/webhooks/' . $id, $links['self'][0]['href']);
        $this->assertSame(self::BASE . '/webhooks', $links['collection'][0]['href']);
        $this->assertSame(self::BASE . '/deliveries?webhook_id=' . $id, $links['deliveries'][0]['href']);
        $this->assertTrue($links['deliveries'][0]['embeddable']);

        $eventId = trim(self::wp('echo hooks_emit("test_ping", ["n" => 3]);'));
        $this->waitForPosts('/shapes', 1);
        $rows = [];
        $end = microtime(true) + 20;
        while ($rows === [] && microtime(true) < $end) {
            $rows = self::api('GET', '/deliveries?webhook_id=' . $id)['body'];
            usleep(200_000);
        }
        $this->assertCount(1, $rows, 'the attempt shows in the log');
        $delivery = $rows[0];
        $this->assertSame(self::BASE . '/deliveries/' . $delivery['id'], $delivery['_links']['self'][0]['href']);
        $this->assertSame(self::BASE . '/deliveries', $delivery['_links']['collection'][0]['href']);
        $this->assertSame(self::BASE . '/webhooks/' . $id, $delivery['_links']['webhook'][0]['href']);

        // A delivery embeds its webhook (embed fields only), a webhook its delivery log.
        $withHook = self::api('GET', '/deliveries/' . $delivery['id'] . '?_embed=webhook');
        $this->assertSame(200, $withHook['status'], $withHook['raw']);
        $this->assertSame(['id' => $id, 'name' => 'Shapes'], array_intersect_key($withHook['body']['_embedded']['webhook'][0], ['id' => 1, 'name' => 1]));
        $this->assertArrayNotHasKey('integration', $withHook['body']['_embedded']['webhook'][0]);
        $this->assertSame(['n' => 3], $withHook['body']['payload'], 'one attempt read by its id keeps its payload');
        $withLog = self::api('GET', '/webhooks/' . $id . '?_embed=deliveries');
        $this->assertSame([$eventId], array_column($withLog['body']['_embedded']['deliveries'][0], 'event_id'));
        $this->assertArrayNotHasKey('url', $withLog['body']['_embedded']['deliveries'][0][0], 'embedded attempts carry the embed fields');
        $this->assertStringNotContainsString('whsec_', $one['raw'] . $list['raw'] . $embed['raw'] . $withHook['raw'] . $withLog['raw']);
    }

    public function testSchemaIsServedOnOptions(): void
    {
        foreach (
            ['/webhooks' => 'multisite-webhook', '/webhooks/1' => 'multisite-webhook', '/events' => 'multisite-webhook-event',
            '/deliveries' => 'multisite-webhook-delivery', '/deliveries/1' => 'multisite-webhook-delivery'] as $path => $title
        ) {
            $r = self::api('OPTIONS', $path);
            $this->assertSame(200, $r['status'], "OPTIONS $path: " . $r['raw']);
            $schema = $r['body']['schema'];
            $this->assertSame($title, $schema['title'], $path);
            foreach ($schema['properties'] as $name => $property) {
                $this->assertNotEmpty($property['context'] ?? [], "$title.$name names its contexts");
                $this->assertNotSame('', (string) ($property['description'] ?? ''), "$title.$name is described");
            }
        }
        $hook = self::api('OPTIONS', '/webhooks')['body'];
        $this->assertSame(['edit'], $hook['schema']['properties']['secret']['context'], 'the secret is no field of a webhook as read');
        $this->assertSame(['view', 'embed', 'edit'], $hook['endpoints'][0]['args']['context']['enum']);
        $this->assertContains('name', array_keys($hook['endpoints'][1]['args']), 'the create arguments are listed');
    }

    public function testZapierSubscribeReceivesEventsUntilUnsubscribed(): void
    {
        // A webhook outside the API hears every publication, so "nothing more arrived" below
        // is observed after the event was delivered somewhere.
        $this->createWebhook('Control', '/control', ['post_published']);
        $sub = self::api('POST', '/webhooks', ['name' => 'Zap: new post', 'url' => $this->receiver->url('/zap'), 'event' => 'post_published', 'integration' => 'zapier']);
        $this->assertSame(201, $sub['status'], $sub['raw']);
        $this->assertSame(['zapier', ['post_published']], [$sub['body']['integration'], $sub['body']['events']]);
        $this->receiver->addSecret($sub['body']['secret']);

        $title = 'Zapped ' . bin2hex(random_bytes(3));
        $postId = $this->publishOnSite2($title);
        $r = $this->waitForPosts('/zap', 1)[0];
        $this->assertSignedDelivery($r, 'post_published');
        $p = json_decode($r['body'], true);
        $this->assertSame([$postId, $title, 'http://localhost/site2/'], [$p['post_id'], $p['post_title'], $p['site_url']]);
        $this->waitForPosts('/control', 1);

        $this->assertSame(200, self::api('DELETE', '/webhooks/' . $sub['body']['id'])['status']);
        $this->publishOnSite2('After unsubscribe ' . bin2hex(random_bytes(3)));
        $this->waitForPosts('/control', 2);
        usleep(500_000);
        $this->assertCount(1, $this->posts('/zap'), 'an unsubscribed hook hears nothing more');
    }

    public function testEventCatalogAndExamplePayloads(): void
    {
        $r = self::api('GET', '/events');
        $this->assertSame(200, $r['status'], $r['raw']);
        $bySlug = array_column($r['body'], null, 'slug');
        $this->assertArrayHasKey('post_published', $bySlug);
        $post = $bySlug['post_published'];
        $this->assertSame(['slug', 'name', 'description', 'source', 'payload_example'], array_keys($post));
        $this->assertSame(['Post Published', 'wordpress'], [$post['name'], $post['source']]);
        $this->assertNotSame('', $post['description']);
        $this->assertArrayHasKey('post_title', $post['payload_example']);
        $this->assertSame(['n' => 1, 'pid' => 1234], $bySlug['test_ping']['payload_example']);
        $this->assertSame('custom', $bySlug['test_ping']['source']);
        $um = json_decode((string) file_get_contents(self::umCatalogPath()), true);
        foreach ($um as $e) {
            $this->assertSame('ultimate-multisite', $bySlug[$e['slug']]['source'] ?? null, $e['slug']);
        }
        $custom = self::api('GET', '/events?source=custom');
        $this->assertSame(['custom'], array_values(array_unique(array_column($custom['body'], 'source'))));

        $ex = self::api('GET', '/events/test_ping/example');
        $this->assertSame(200, $ex['status']);
        $this->assertSame(['n' => 1, 'pid' => 1234], $ex['body'], 'the sample is the payload itself');
        $this->assertSame($post['payload_example'], self::api('GET', '/events/post_published/example')['body']);
        // JSON numbers such as 49.0 come back as 49 (WordPress encodes without the zero fraction).
        $this->assertEquals($um[0]['payload_example'], self::api('GET', '/events/' . $um[0]['slug'] . '/example')['body']);
        $missing = self::api('GET', '/events/no_such_event/example');
        $this->assertSame(404, $missing['status']);
        $this->assertSame('multisite_webhooks_unknown_event', $missing['body']['code']);
    }

    public function testTestSendToAFailingReceiverAnswersOkFalse(): void
    {
        $hook = self::api('POST', '/webhooks', ['name' => 'Broken', 'url' => $this->receiver->url('/status/500'), 'events' => ['post_published']])['body'];
        $this->receiver->addSecret($hook['secret']);
        $r = self::api('POST', '/webhooks/' . $hook['id'] . '/test', ['event' => 'test_ping']);
        $this->assertSame(200, $r['status'], $r['raw']);
        $this->assertFalse($r['body']['ok']);
        $this->assertSame(500, $r['body']['status']);
        $this->assertGreaterThan(0, $r['body']['delivery_id']);
        $this->assertStringNotContainsString($hook['secret'], $r['raw']);
        $got = $this->waitForPosts('/status/500', 1)[0];
        $this->assertSignedDelivery($got, 'test_ping');
        $this->assertSame(['n' => 1, 'pid' => 1234], json_decode($got['body'], true));
        $this->assertSame($r['body']['event_id'], $got['headers']['webhook-id']);

        $logged = self::api('GET', '/deliveries/' . $r['body']['delivery_id']);
        $this->assertSame(200, $logged['status'], $logged['raw']);
        $this->assertSame(
            [$hook['id'], 'test_ping', 'failed', 500, true],
            [$logged['body']['webhook_id'], $logged['body']['event'], $logged['body']['status'], $logged['body']['status_code'], $logged['body']['is_test']]
        );

        $this->assertSame(404, self::api('POST', '/webhooks/999999999/test')['status']);
        $this->assertInvalidParam(self::api('POST', '/webhooks/' . $hook['id'] . '/test', ['event' => 'no_such_event']), 'event');
        $this->assertCount(1, $this->posts('/status/500'), 'refused test sends send nothing');
    }

    public function testDeliveriesListAndRetryRedeliversWithTheSameWebhookId(): void
    {
        $hook = $this->createWebhook('Log', '/log', ['test_ping']);
        $eventId = trim(self::wp('echo hooks_emit("test_ping", ["n" => 7]);'));
        $this->assertMatchesRegularExpression('/^msg_/', $eventId);
        $first = $this->waitForPosts('/log', 1)[0];
        $this->assertSame($eventId, $first['headers']['webhook-id']);

        $rows = [];
        $end = microtime(true) + 20;
        while ($rows === [] && microtime(true) < $end) {
            $list = self::api('GET', '/deliveries?webhook_id=' . $hook['id'] . '&status=delivered&is_test=false&since=' . rawurlencode(gmdate('Y-m-d\TH:i:s\Z', time() - 600)));
            $this->assertSame(200, $list['status'], $list['raw']);
            $rows = $list['body'];
            usleep(200_000);
        }
        $this->assertCount(1, $rows, 'the attempt shows in the log');
        $this->assertSame('1', $list['headers']['x-wp-total']);
        $this->assertSame('1', $list['headers']['x-wp-totalpages']);
        $row = $rows[0];
        $this->assertSame(
            [$hook['id'], 'test_ping', $eventId, 'delivered', 200, false, 1],
            [$row['webhook_id'], $row['event'], $row['event_id'], $row['status'], $row['status_code'], $row['is_test'], $row['attempt']]
        );
        $this->assertArrayNotHasKey('request_headers', $row, 'the list is a summary');
        $this->assertSame([], self::api('GET', '/deliveries?webhook_id=' . $hook['id'] . '&status=failing')['body']);
        $this->assertSame([], self::api('GET', '/deliveries?webhook_id=' . $hook['id'] . '&until=2001-01-01T00:00:00Z')['body']);

        $one = self::api('GET', '/deliveries/' . $row['id']);
        $this->assertSame(200, $one['status'], $one['raw']);
        $this->assertSame($eventId, $one['body']['request_headers']['webhook-id']);
        $this->assertNotEmpty($one['body']['request_headers']['webhook-signature']);
        $this->assertIsArray($one['body']['response_headers']);
        $this->assertIsString($one['body']['response_excerpt']);
        $this->assertSame(['n' => 7], $one['body']['payload']);
        $this->assertStringNotContainsString($hook['secret'], $one['raw']);
        $this->assertSame(404, self::api('GET', '/deliveries/999999999')['status']);

        $retry = self::api('POST', '/deliveries/' . $row['id'] . '/retry');
        $this->assertSame(202, $retry['status'], $retry['raw']);
        $this->assertSame(['queued' => true], $retry['body']);
        $again = $this->waitForPosts('/log', 2)[1];
        $this->assertSignedDelivery($again, 'test_ping');
        $this->assertSame($eventId, $again['headers']['webhook-id'], 'a redelivery keeps the webhook-id');
        $this->assertSame(['n' => 7], json_decode($again['body'], true));
        $this->assertSame(404, self::api('POST', '/deliveries/999999999/retry')['status']);
    }

    public function testOnlyNetworkAdministratorsGetIn(): void
    {
        $hook = $this->createWebhook('Private', '/private', ['test_ping']);
        $routes = [['GET', '/webhooks'], ['POST', '/webhooks'], ['GET', '/webhooks/' . $hook['id']], ['PATCH', '/webhooks/' . $hook['id']],
            ['DELETE', '/webhooks/' . $hook['id']], ['POST', '/webhooks/' . $hook['id'] . '/test'], ['POST', '/webhooks/' . $hook['id'] . '/rotate-secret'],
            ['GET', '/events'], ['GET', '/events/test_ping/example'], ['GET', '/deliveries'], ['GET', '/deliveries/1'], ['POST', '/deliveries/1/retry']];
        foreach ($routes as [$method, $path]) {
            $anon = self::api($method, $path, $method === 'GET' ? null : ['name' => 'Intruder'], null);
            $this->assertSame(401, $anon['status'], "$method $path without credentials: " . $anon['raw']);
            $this->assertSame('rest_forbidden', $anon['body']['code']);
            $plain = self::api($method, $path, $method === 'GET' ? null : ['name' => 'Intruder'], 'plain');
            $this->assertSame(403, $plain['status'], "$method $path as a site administrator: " . $plain['raw']);
            $this->assertSame('rest_forbidden', $plain['body']['code']);
            $this->assertStringNotContainsString('whsec_', $anon['raw'] . $plain['raw']);
        }
        $this->assertSame(200, self::api('GET', '/webhooks/' . $hook['id'])['status'], 'the super admin gets in');
        $after = self::api('GET', '/webhooks/' . $hook['id'])['body'];
        $this->assertSame(['Private', false], [$after['name'], $after['secret_rotating']], 'refused requests changed nothing');
        $this->assertSame([], $this->posts('/private'), 'refused test sends sent nothing');
    }

    public function testInvalidInputIsRefusedNamingTheField(): void
    {
        $url = $this->receiver->url('/v');
        $this->assertInvalidParam(self::api('POST', '/webhooks', ['name' => 'Bad URL', 'webhook_url' => 'ftp://x', 'events' => ['test_ping']]), 'webhook_url');
        $this->assertInvalidParam(self::api('POST', '/webhooks', ['name' => 'Bad URL', 'url' => 'ftp://x', 'events' => ['test_ping']]), 'url');
        // Characters the engine refuses in a URL would make it refuse the whole endpoint snapshot.
        $this->assertInvalidParam(self::api('POST', '/webhooks', ['name' => 'Bad URL', 'webhook_url' => $url . '?q=<b>', 'events' => ['test_ping']]), 'webhook_url');
        $unknown = self::api('POST', '/webhooks', ['name' => 'Bad event', 'webhook_url' => $url, 'events' => ['test_ping', 'no_such_event']]);
        $this->assertInvalidParam($unknown, 'events');
        $this->assertStringContainsString('no_such_event', $unknown['body']['data']['params']['events']);
        $this->assertInvalidParam(self::api('POST', '/webhooks', ['name' => 'Bad event', 'webhook_url' => $url, 'event' => 'no_such_event']), 'event');
        $this->assertInvalidParam(self::api('POST', '/webhooks', ['webhook_url' => $url, 'events' => ['test_ping']]), 'name', 'rest_missing_callback_param');
        // Rules of the plugin itself come back the same way, keyed by field.
        $this->assertInvalidParam(self::api('POST', '/webhooks', ['name' => 'A', 'webhook_url' => $url, 'events' => ['test_ping']]), 'name');
        $this->assertInvalidParam(self::api('POST', '/webhooks', ['name' => 'No events', 'webhook_url' => $url]), 'events');
        $this->assertInvalidParam(self::api('POST', '/webhooks', ['name' => 'Format', 'webhook_url' => $url, 'events' => ['test_ping'], 'payload_format' => 'xml']), 'payload_format');
        $this->assertInvalidParam(self::api('GET', '/webhooks?per_page=101'), 'per_page');
        $this->assertInvalidParam(self::api('GET', '/deliveries?status=lost'), 'status');
        $this->assertInvalidParam(self::api('GET', '/deliveries?since=not-a-date'), 'since');
        $this->assertSame('0', self::api('GET', '/webhooks')['headers']['x-wp-total'], 'nothing was created');

        $hook = self::api('POST', '/webhooks', ['name' => 'Valid', 'webhook_url' => $url, 'events' => ['test_ping']])['body'];
        $this->assertInvalidParam(self::api('PATCH', '/webhooks/' . $hook['id'], ['webhook_url' => 'ftp://x']), 'webhook_url');
        $this->assertInvalidParam(self::api('PATCH', '/webhooks/' . $hook['id'], ['events' => []]), 'events');
        $this->assertInvalidParam(self::api('PATCH', '/webhooks/' . $hook['id'], ['name' => ' ']), 'name');
        $this->assertSame(['Valid', $url, ['test_ping']], array_values(array_intersect_key(self::api('GET', '/webhooks/' . $hook['id'])['body'], ['name' => 1, 'webhook_url' => 1, 'events' => 1])));
    }
}
