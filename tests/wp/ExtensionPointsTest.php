<?php
/**
 * The integrators' extension points, fired when an event is raised: the veto
 * `multisite_webhooks_should_deliver` and the per-webhook payload filter
 * `multisite_webhooks_webhook_payload` — with real deliveries to the local receiver, through
 * the engine and through the outbox of a PHP without FFI.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class ExtensionPointsTest extends WpTestCase
{
    private const P = 'MultisiteWebhooks\Plugin::instance()';

    /** The payload as raised: JSON text with spacing and an escaped slash, kept byte for byte. */
    private const RAISED = '{"n": 1,  "s":"a\/b"}';

    /** PHP that makes webhook "Filtered" get another payload. */
    private const FILTER = 'add_filter("multisite_webhooks_webhook_payload", static function (array $p, array $w, string $e): array {
            return $w["name"] === "Filtered" ? ["n" => $p["n"], "for" => $w["id"], "event" => $e, "url" => "https://example.test/x", "name" => "Zoë"] : $p;
        }, 10, 3);';

    protected function setUp(): void
    {
        parent::setUp();
        self::wp('global $wpdb; $wpdb->query("DELETE FROM " . MultisiteWebhooks\Store\Schema::table("outbox"));');
    }

    public function testAVetoedWebhookGetsNothingAndTheOtherGetsTheEvent(): void
    {
        $kept = $this->createWebhook('Kept', '/kept', ['test_ping']);
        $vetoed = $this->createWebhook('Vetoed', '/vetoed', ['test_ping']);
        $first = trim(self::wp('add_filter("multisite_webhooks_should_deliver", static function (bool $deliver, array $w, string $e, array $p): bool {
                return $deliver && !($w["name"] === "Vetoed" && $e === "test_ping" && $p["n"] === 1);
            }, 10, 4);
            echo hooks_emit("test_ping", ["n" => 1]);'));
        $this->assertMatchesRegularExpression('/^msg_[0-9A-Z]{26}$/', $first);
        $got = $this->waitForPosts('/kept', 1)[0];
        $this->assertSame($first, $got['headers']['webhook-id']);
        $this->assertSignedDelivery($got, 'test_ping');
        $this->assertSame(['n' => 1], json_decode($got['body'], true));

        // Without the veto the next event reaches both: the vetoed webhook's first request is that one.
        $second = trim(self::wp('echo hooks_emit("test_ping", ["n" => 2]);'));
        $this->waitForPosts('/kept', 2);
        $theirs = $this->waitForPosts('/vetoed', 1);
        $this->assertCount(1, $theirs, 'the vetoed webhook never got the first event');
        $this->assertSame($second, $theirs[0]['headers']['webhook-id']);

        self::importResults();
        $log = self::wpJson('echo json_encode(' . self::P . '->deliveries()->list(["event_id" => ' . var_export($first, true) . ']));');
        $this->assertSame([$kept['id']], array_column($log, 'webhook_id'), 'a veto leaves no entry, and no failure, in the log');
        $this->assertSame(['delivered'], array_column($log, 'outcome'));
        $this->assertNotContains($vetoed['id'], array_column($log, 'webhook_id'));
    }

    public function testThePayloadFilterChangesOneWebhooksBodyByteExactThroughTheEngine(): void
    {
        $filtered = $this->createWebhook('Filtered', '/filtered', ['test_ping']);
        $this->createWebhook('Plain', '/plain', ['test_ping']);
        $id = trim(self::wp(self::FILTER . ' echo hooks_emit("test_ping", ' . var_export(self::RAISED, true) . ');'));
        $this->assertMatchesRegularExpression('/^msg_[0-9A-Z]{26}$/', $id);
        $this->assertBodies($id, $filtered['id']);

        // A redelivery from the log sends what the first delivery sent.
        self::importResults();
        $entry = self::wpJson('echo json_encode(' . self::P . '->deliveries()->list(["event_id" => ' . var_export($id, true) . ', "webhook_id" => ' . $filtered['id'] . '])[0] ?? null);');
        $this->assertNotNull($entry, 'the filtered delivery is in the log');
        $this->assertFalse($entry['is_redelivery'], 'a webhook\'s own payload is a first delivery, not a redelivery');
        $this->assertSame('true', trim(self::wp(self::FILTER . ' echo json_encode(' . self::P . '->operations()->redeliver(' . (int) $entry['id'] . '));')));
        $again = $this->waitForPosts('/filtered', 2)[1];
        $this->assertSame($id, $again['headers']['webhook-id']);
        $this->assertSame($this->expectedFiltered($filtered['id']), $again['body']);
        self::importResults();
        $log = self::wpJson('echo json_encode(' . self::P . '->deliveries()->list(["event_id" => ' . var_export($id, true)
            . ', "webhook_id" => ' . $filtered['id'] . ']));');
        $this->assertSame([false, true], array_column(array_reverse($log), 'is_redelivery'), 'the one asked for is the redelivery');
    }

    public function testThePayloadFilterWorksTheSameThroughTheOutbox(): void
    {
        $filtered = $this->createWebhook('Filtered', '/filtered', ['test_ping']);
        $this->createWebhook('Plain', '/plain', ['test_ping']);
        $id = trim(self::wp(self::FILTER . ' echo hooks_emit("test_ping", ' . var_export(self::RAISED, true) . ');', 'http://localhost/', ['ffi.enable=0']));
        $this->assertInOutbox($id, 'raised without FFI');
        $this->assertSame(2, (int) trim(self::wp('echo ' . self::P . '->outbox()->count();')), 'one row per webhook, under one id');
        // Moved by a process that has no filter: the rows carry each webhook's bytes.
        $tick = self::wpJson('echo json_encode(MultisiteWebhooks\Cron::tick(' . self::P . ', 30));');
        $this->assertSame(2, $tick['moved']);
        $this->assertBodies($id, $filtered['id']);
    }

    public function testFiltersThatChangeNothingKeepTheSingleRecord(): void
    {
        $this->createWebhook('One', '/one', ['test_ping']);
        $this->createWebhook('Two', '/two', ['test_ping']);
        $id = trim(self::wp('add_filter("multisite_webhooks_should_deliver", "__return_true");
            add_filter("multisite_webhooks_webhook_payload", static fn (array $p): array => $p);
            echo hooks_emit("test_ping", ' . var_export(self::RAISED, true) . ');'));
        foreach (['/one', '/two'] as $path) {
            $got = $this->waitForPosts($path, 1)[0];
            $this->assertSame([$id, self::RAISED], [$got['headers']['webhook-id'], $got['body']]);
        }
        self::importResults();
        $log = self::wpJson('echo json_encode(' . self::P . '->deliveries()->list(["event_id" => ' . var_export($id, true) . ']));');
        $this->assertCount(2, $log);
        $this->assertSame([false, false], array_column($log, 'is_redelivery'), 'one event record, fanned out by the engine');
    }

    /** The filtered webhook got the filtered bytes, the other the bytes as raised; one webhook-id. */
    private function assertBodies(string $id, int $filteredId): void
    {
        $filtered = $this->waitForPosts('/filtered', 1)[0];
        $plain = $this->waitForPosts('/plain', 1)[0];
        $this->assertSignedDelivery($filtered, 'test_ping');
        $this->assertSignedDelivery($plain, 'test_ping');
        $this->assertSame($this->expectedFiltered($filteredId), $filtered['body'], 'the filtered payload, byte for byte');
        $this->assertSame(self::RAISED, $plain['body'], 'the payload as raised, byte for byte');
        $this->assertSame([$id, $id], [$filtered['headers']['webhook-id'], $plain['headers']['webhook-id']], 'one webhook-id for both');
        $this->assertSame(self::RAISED, trim(self::wp('echo ' . self::P . '->deliveries()->payload(' . var_export($id, true) . ');')), 'the log keeps the event as raised');
        self::importResults();
        $log = self::wpJson('echo json_encode(' . self::P . '->deliveries()->list(["event_id" => ' . var_export($id, true) . ']));');
        $this->assertSame([false, false], array_column($log, 'is_redelivery'), 'both are first deliveries, the filtered one too');
    }

    /** The filter's array as the plugin encodes every array payload (wp_json_encode's defaults). */
    private function expectedFiltered(int $id): string
    {
        return '{"n":1,"for":' . $id . ',"event":"test_ping","url":"https:\\/\\/example.test\\/x","name":"Zo\\u00eb"}';
    }
}
