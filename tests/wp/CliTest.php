<?php
/**
 * `wp webhook …` end to end: the command classes run inside the real multisite, against the
 * real engine and a real local receiver.
 *
 * WP-CLI itself cannot be installed on the machine these tests run on, so
 * tests/wp/fixtures/cli/run.php stands in for it: it defines a minimal WP_CLI class and
 * WP_CLI\Utils\format_items / make_progress_bar / get_flag_value covering exactly the calls
 * the commands make, registers the commands through Cli\Commands::register(), resolves
 * subcommands as WP-CLI does, and exits 1 after WP_CLI::error() as WP-CLI does. Everything
 * below that stand-in (the commands, the plugin, WordPress, the engine) is the real thing.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Wp;

final class CliTest extends WpTestCase
{
    private int $logSize = 0;

    protected function setUp(): void
    {
        parent::setUp();
        clearstatcache();
        $this->logSize = (int) @filesize(self::$env['MWH_WP_DEBUG_LOG']);
    }

    protected function tearDown(): void
    {
        clearstatcache();
        $log = (string) @file_get_contents(self::$env['MWH_WP_DEBUG_LOG'], false, null, $this->logSize);
        parent::tearDown();
        $this->assertStringNotContainsString('/src/Cli/', $log, 'the commands add no PHP notices or warnings');
    }

    /** Runs a command that must succeed; returns its standard output. */
    private static function ok(string $command, array $args = [], array $assoc = [], ?string $stdin = null): string
    {
        $r = self::cli($command, $args, $assoc, $stdin);
        if ($r['status'] !== 0) {
            throw new \RuntimeException("`wp $command` exited {$r['status']}\nstdout: {$r['out']}\nstderr: {$r['err']}");
        }
        return $r['out'];
    }

    /** Asserts a command fails with exit status 1 and an error containing `$text`. */
    private function assertCliError(string $text, string $command, array $args = [], array $assoc = [], ?string $stdin = null): array
    {
        $r = self::cli($command, $args, $assoc, $stdin);
        $this->assertSame(1, $r['status'], "`wp $command` should fail: " . json_encode($r));
        $this->assertStringContainsString('Error: ', $r['err']);
        $this->assertStringContainsString($text, $r['err']);
        return $r;
    }

    public function testEveryIdLookUpGoesThroughOneFetcherWithOneMessage(): void
    {
        $commands = [['webhook get', []], ['webhook update', ['active' => '0']], ['webhook delete', ['yes' => true]], ['webhook rotate-secret', []],
            ['webhook test', []], ['webhook delivery get', []], ['webhook delivery retry', []]];
        foreach ($commands as [$command, $assoc]) {
            [$kind, $list] = str_starts_with($command, 'webhook delivery') ? ['delivery', 'wp webhook delivery list'] : ['webhook', 'wp webhook list'];
            foreach (['abc', '0', '-3', '99999999'] as $id) {
                $r = $this->assertCliError(sprintf('Could not find the %s with ID %s. See `%s` for the ids.', $kind, $id, $list), $command, [$id], $assoc);
                $this->assertSame(1, substr_count($r['err'], 'Error: '), "`wp $command $id` says it once");
            }
        }
        $this->assertCliError('Could not find the webhook with ID x1, nor any delivery logged for one.', 'webhook delivery list', [], ['webhook' => 'x1']);
    }

    /** Creates a webhook with `create --porcelain --show-secret`; the receiver learns its secret. */
    private function createViaCli(string $name, string $path, string $events): int
    {
        $out = self::ok('webhook create', [], ['name' => $name, 'webhook_url' => $this->receiver->url($path), 'events' => $events, 'porcelain' => true, 'show-secret' => true]);
        $this->assertMatchesRegularExpression('/^\d+ whsec_[A-Za-z0-9+\/=]{44}\n$/', $out, 'one line: the id and the secret');
        [$id, $secret] = explode(' ', trim($out));
        $this->receiver->addSecret($secret);
        return (int) $id;
    }

    /** @return list<array<string, mixed>> */
    private static function jsonOut(string $command, array $args = [], array $assoc = []): array
    {
        return json_decode(trim(self::ok($command, $args, $assoc + ['format' => 'json'])), true, 512, JSON_THROW_ON_ERROR);
    }

    public function testEveryCommandIsRegisteredWithASynopsis(): void
    {
        $r = self::cli('--list');
        $list = json_decode(trim($r['out']), true);
        $this->assertSame([
            'webhook create', 'webhook delete', 'webhook delivery get', 'webhook delivery list', 'webhook delivery retry', 'webhook doctor',
            'webhook emit', 'webhook event example', 'webhook event list', 'webhook get', 'webhook import-ultimate-multisite', 'webhook list',
            'webhook queue flush', 'webhook queue status', 'webhook rotate-secret', 'webhook test', 'webhook update', 'webhook worker',
        ], (static function (array $k): array {
            sort($k);
            return $k;
        })(array_keys($list)));
        foreach ($list as $name => $doc) {
            $this->assertStringContainsString('## EXAMPLES', $doc['longdesc'], "$name has ## EXAMPLES");
            $this->assertStringContainsString('## OPTIONS', $doc['longdesc'], "$name has ## OPTIONS");
        }
    }

    public function testHelpIsWhatWpCliShows(): void
    {
        $list = json_decode(trim(self::cli('--list')['out']), true);
        foreach ($list as $name => $doc) {
            // WP-CLI's short description is the docblock's first line: a whole sentence, then
            // a blank line (else the rest of the sentence lands under SYNOPSIS).
            $this->assertMatchesRegularExpression('/^[A-Z][^`]*(`[^`]*`[^`]*)*\.$/', $doc['shortdesc'], "$name: the short description is one whole sentence");
            $this->assertSame(substr_count($doc['shortdesc'], '('), substr_count($doc['shortdesc'], ')'), "$name: balanced parentheses");
            $this->assertSame('', explode("\n", $doc['raw'])[1] ?? '', "$name: a blank line after the short description");
            $this->assertNotSame('', $doc['synopsis'], "$name has a synopsis");
            // Every example command has a `# comment` line saying what it does.
            $examples = explode("\n", substr($doc['longdesc'], (int) strpos($doc['longdesc'], '## EXAMPLES')));
            $commented = false;
            foreach ($examples as $line) {
                if (preg_match('/^    # /', $line)) {
                    $commented = true;
                } elseif (trim($line) === '') {
                    $commented = false;
                } elseif (preg_match('/^    \$ /', $line)) {
                    $this->assertTrue($commented, "$name: a `# …` line comes before the example `$line`");
                }
            }
            $page = self::cli('--help', [$name])['out'];
            $this->assertStringContainsString("DESCRIPTION\n\n  {$doc['shortdesc']}\n\nSYNOPSIS\n\n  wp $name", $page);
        }
        // `wp help webhook` lists every subcommand with its whole short description.
        $page = self::cli('--help', ['webhook'])['out'];
        $this->assertMatchesRegularExpression('/^  emit +Emits an event to the webhooks that receive it and says what happened to each\.$/m', $page);
        $this->assertMatchesRegularExpression('/^  delivery +Lists and shows delivery attempts, and redelivers them\.$/m', $page);
        $this->assertMatchesRegularExpression('/^  rotate-secret +Gives a webhook a new signing secret and prints it, this once\.$/m', $page);
    }

    public function testGetPrintsOneObjectAndFieldPrintsOneValue(): void
    {
        $id = $this->createViaCli('CRM', '/crm', 'test_ping');
        $url = $this->receiver->url('/crm');
        $json = trim(self::ok('webhook get', [$id], ['format' => 'json']));
        $this->assertStringStartsWith('{', $json, 'get --format=json prints the object, not a list');
        $this->assertSame($url, json_decode($json, true)['webhook_url']);
        $this->assertSame($url . "\n", self::ok('webhook get', [$id], ['field' => 'webhook_url']));
        $this->assertSame('["test_ping"]' . "\n", self::ok('webhook get', [$id], ['field' => 'events']));
        $this->assertSame("$id\n", self::ok('webhook list', [], ['field' => 'id']));
        $this->assertSame([$id], json_decode(self::ok('webhook list', [], ['field' => 'id', 'format' => 'json']), true));
        $this->assertCliError('Unknown field "secret"', 'webhook get', [$id], ['field' => 'secret']);
        $this->assertStringStartsWith('{', trim(self::ok('webhook queue status', [], ['format' => 'json'])));
        $this->assertMatchesRegularExpression('/^\d+$/', trim(self::ok('webhook queue status', [], ['field' => 'depth'])));
        $this->assertSame("test_ping\n", self::ok('webhook event list', [], ['source' => 'custom', 'field' => 'slug']));
        $this->assertCliError("unknown --nope parameter", 'webhook get', [$id], ['nope' => '1']);
    }

    public function testTheSecretIsPrintedEvenWithQuietAndPorcelainIsOneLine(): void
    {
        $base = ['name' => 'Quiet', 'webhook_url' => $this->receiver->url('/q'), 'events' => 'test_ping'];
        $r = self::cli('webhook create', [], $base + ['quiet' => true]);
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertMatchesRegularExpression('/^Signing secret \(shown only now, keep it\): whsec_\S+\n$/', $r['out'], '--quiet keeps the secret, drops the rest');
        $id = trim(self::ok('webhook create', [], $base + ['porcelain' => true]));
        $this->assertMatchesRegularExpression('/^\d+$/', $id, 'ID=$(wp webhook create … --porcelain) is the id');
        $r = self::cli('webhook rotate-secret', [$id], ['quiet' => true]);
        $this->assertMatchesRegularExpression('/^New signing secret \(shown only now, keep it\): whsec_\S+\n$/', $r['out']);
        $r = self::cli('webhook create', [], ['webhook_url' => 'ftp://x/secretless'] + $base);
        $this->assertStringNotContainsString('whsec_', $r['out'] . $r['err'], 'no error message prints a secret');
        $this->assertCliError('--show-secret goes with --porcelain', 'webhook create', [], $base + ['show-secret' => true]);
        $r = self::cli('webhook create', [], ['integration' => 'My CRM', 'porcelain' => true] + $base);
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertStringContainsString('Warning: The integration "My CRM" was saved as "mycrm"', $r['err']);
        $r = $this->assertCliError('10.1.2.3 (private network, RFC 1918)', 'webhook create', [], ['webhook_url' => 'http://10.1.2.3/hook'] + $base);
        $this->assertSame(substr_count($r['err'], '('), substr_count($r['err'], ')'), 'the refusal has balanced brackets: ' . $r['err']);
        $this->assertStringNotContainsString('((', $r['err']);
    }

    public function testDestructiveCommandsAsk(): void
    {
        $id = $this->createViaCli('Doomed', '/d', 'test_ping');
        $r = self::cli('webhook delete', [$id], [], "n\n");
        $this->assertSame(0, $r['status']);
        $this->assertStringContainsString("Delete webhook $id? Its deliveries waiting for a retry are cancelled. [y/n] ", $r['out']);
        $this->assertSame('1', trim(self::ok('webhook list', [], ['format' => 'count'])), 'not confirmed: nothing deleted');
        $r = self::cli('webhook delete', [$id], [], "y\n");
        $this->assertStringContainsString("Success: Deleted 1 webhook: $id.", $r['out']);
        $this->assertSame('0', trim(self::ok('webhook list', [], ['format' => 'count'])));
        $r = self::cli('webhook delivery retry', [], ['all-failed' => true], "n\n");
        $this->assertSame(0, $r['status']);
        $this->assertStringContainsString('Send every event that failed for good again? [y/n] ', $r['out']);
        $this->assertStringNotContainsString('Success', $r['out']);
        $this->assertStringContainsString('No failed deliveries to retry.', self::ok('webhook delivery retry', [], ['all-failed' => true, 'yes' => true]));
    }

    /**
     * Splits one shell command line as sh would (quotes, `$VAR` outside single quotes).
     *
     * @param array<string, string> $vars
     * @return list<string>
     */
    private static function shellWords(string $line, array $vars): array
    {
        preg_match_all('/\'[^\']*\'|"(?:[^"\\\\]|\\\\.)*"|[^\s\'"]+/', $line, $m);
        $words = [];
        $word = '';
        $pos = 0;
        foreach ($m[0] as $i => $part) {
            $at = strpos($line, $part, $pos);
            if ($i > 0 && $at > $pos) {
                $words[] = $word;
                $word = '';
            }
            $pos = $at + strlen($part);
            $expand = static fn (string $t): string => (string) preg_replace_callback('/\$([A-Z_]+)/', static fn ($v) => $vars[$v[1]] ?? '', $t);
            $word .= $part[0] === "'" ? substr($part, 1, -1) : ($part[0] === '"' ? $expand(stripcslashes(substr($part, 1, -1))) : $expand($part));
        }
        if ($m[0] !== []) {
            $words[] = $word;
        }
        return $words;
    }

    public function testTheReadmesCommandsRunAsWritten(): void
    {
        $readme = (string) file_get_contents(HOOKS_TEST_ROOT . '/README.md');
        $this->assertSame(1, preg_match('/## WP-CLI\n\n```sh\n(.*?)```/s', $readme, $block));
        $commands = array_keys(json_decode(trim(self::cli('--list')['out']), true));
        $vars = [];
        $ran = 0;
        foreach (explode("\n", trim($block[1])) as $line) {
            $line = trim((string) preg_replace('/\s+# .*$/', '', $line));
            if ($line === '' || $line[0] === '#') {
                continue;
            }
            $into = [];
            if (preg_match('/^([A-Z_]+)=\$\((.*)\)$/', $line, $mm)) {
                [$into, $line] = [[$mm[1]], $mm[2]];
            } elseif (preg_match('/^read -r ([A-Z_ ]+) < <\((.*)\)$/', $line, $mm)) {
                [$into, $line] = [explode(' ', $mm[1]), $mm[2]];
            }
            foreach (explode(' && ', $line) as $one) {
                $w = self::shellWords($one, $vars);
                $this->assertSame('wp', array_shift($w), $one);
                $name = '';
                foreach ($commands as $c) {
                    if (implode(' ', array_slice($w, 0, substr_count($c, ' ') + 1)) === $c && strlen($c) > strlen($name)) {
                        $name = $c;
                    }
                }
                $this->assertNotSame('', $name, "a command of ours: $one");
                $args = [];
                $assoc = [];
                foreach (array_slice($w, substr_count($name, ' ') + 1) as $a) {
                    if (preg_match('/^--([^=]+)=(.*)$/s', $a, $kv)) {
                        $assoc[$kv[1]] = $kv[2];
                    } elseif (strpos($a, '--') === 0) {
                        $assoc[substr($a, 2)] = true;
                    } else {
                        $args[] = $a;
                    }
                }
                $r = self::cli($name, $args, $assoc);
                $ok = $r['status'] === 0 || ($name === 'webhook test' && str_contains($r['err'], 'did not accept the test'));
                $this->assertTrue($ok, "`$one` runs as written: " . json_encode($r));
                $ran++;
                if ($into !== []) {
                    foreach (explode(' ', trim($r['out']), count($into)) as $k => $v) {
                        $vars[$into[$k]] = $v;
                    }
                }
            }
        }
        $this->assertGreaterThanOrEqual(14, $ran);
        $this->assertMatchesRegularExpression('/^\d+$/', $vars['ID'] ?? '');
        $this->assertStringStartsWith('whsec_', $vars['SECRET'] ?? '');
    }

    public function testParkedDeliveriesAreVisiblePerWebhook(): void
    {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr((string) stream_socket_get_name($probe, false), strrpos((string) stream_socket_get_name($probe, false), ':') + 1);
        fclose($probe); // Nothing listens there now.
        $out = self::ok('webhook create', [], ['name' => 'Down', 'webhook_url' => "http://127.0.0.1:$port/hook", 'events' => 'test_ping', 'porcelain' => true]);
        $id = (int) trim($out);
        for ($i = 0; $i < 8; $i++) {
            self::ok('webhook emit', ['test_ping'], ['payload' => '{"n":' . $i . '}', 'wait' => '0', 'porcelain' => true]);
        }
        file_get_contents('http://localhost/'); // a web worker delivers
        $end = microtime(true) + 20;
        do {
            usleep(300_000);
            $hook = self::jsonOut('webhook get', [$id]);
        } while ($hook['parked'] === 0 && microtime(true) < $end);
        $this->assertGreaterThan(0, $hook['parked'], 'the circuit opened and the rest wait for it');
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/', (string) $hook['next_probe_at']);
        $status = self::jsonOut('webhook queue status');
        $this->assertArrayHasKey((string) $id, $status['parked_by_webhook']);
        $this->assertGreaterThan(0, $status['parked_by_webhook'][(string) $id]['waiting']);
        self::ok('webhook delete', [$id], ['yes' => true]);
    }

    public function testFiltersUsersLookFor(): void
    {
        $all = $this->createViaCli('All', '/all', '*');
        $ping = $this->createViaCli('Ping', '/ping', 'test_ping');
        $off = $this->createViaCli('Off', '/off', 'site_created');
        self::ok('webhook update', [$off], ['active' => '0']);
        $this->assertSame("$all $ping", trim(self::ok("webhook list", [], ["event" => "test_ping", "format" => "ids"])), "--event includes * subscribers");
        $this->assertSame("$all $ping", trim(self::ok('webhook list', [], ['status' => 'active', 'format' => 'ids'])));
        $this->assertSame((string) $off, trim(self::ok('webhook list', [], ['status' => 'inactive', 'format' => 'ids'])));
        $this->assertSame('0', trim(self::ok('webhook list', [], ['status' => 'disabled', 'format' => 'count'])));
        $this->assertCliError('Unknown status "broken": use one of active, inactive, disabled.', 'webhook list', [], ['status' => 'broken']);
        $this->assertCliError('There is no event called "nope"', 'webhook list', [], ['event' => 'nope']);
        $this->assertCliError('Unknown source "wp": use one of wordpress, ultimate-multisite, custom.', 'webhook event list', [], ['source' => 'wp']);
        $this->assertCliError('Unknown status "lost": use one of delivered, failed, retrying, cancelled, refused, failing.', 'webhook delivery list', [], ['status' => 'lost']);

        // A deleted webhook's history is still there.
        self::ok('webhook emit', ['test_ping'], ['payload' => '{}']);
        $this->assertSame('1', trim(self::ok('webhook delivery list', [], ['webhook' => (string) $ping, 'format' => 'count'])));
        self::ok('webhook delete', [$ping], ['yes' => true]);
        $this->assertSame('1', trim(self::ok('webhook delivery list', [], ['webhook' => (string) $ping, 'format' => 'count'])));
        $this->assertCliError('Could not find the webhook with ID 999999, nor any delivery logged for one. See `wp webhook list` for the ids.', 'webhook delivery list', [], ['webhook' => '999999']);
    }

    public function testCreatePrintsTheSecretOnceAndListAndGetNeverDo(): void
    {
        $r = self::cli(
            'webhook create',
            [],
            ['name' => 'CRM', 'webhook_url' => $this->receiver->url('/crm'), 'events' => 'site_created,test_ping', 'payload_format' => 'envelope', 'integration' => 'zapier']
        );
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertMatchesRegularExpression('/^Signing secret \(shown only now, keep it\): (whsec_\S+)$/m', $r['out']);
        preg_match('/(whsec_\S+)/', $r['out'], $secret);
        $this->assertMatchesRegularExpression('/^Success: Created webhook (\d+)\.$/m', $r['out']);
        preg_match('/Created webhook (\d+)/', $r['out'], $m);
        $id = (int) $m[1];
        $second = $this->createViaCli('Pings', '/pings', 'test_ping');

        $list = self::jsonOut('webhook list');
        $this->assertSame([$id, $second], array_column($list, 'id'));
        $this->assertSame(['site_created', 'test_ping'], $list[0]['events']);
        $this->assertSame('active', $list[0]['status']);
        $this->assertSame(['id', 'name', 'webhook_url', 'events', 'status', 'event_count', 'failure_count'], array_keys($list[0]));
        $this->assertSame("$id $second", trim(self::ok('webhook list', [], ['format' => 'ids'])));
        $this->assertSame('2', trim(self::ok('webhook list', [], ['format' => 'count'])));
        $this->assertSame((string) $second, trim(self::ok('webhook list', [], ['format' => 'ids', 'search' => 'Pings'])));
        $csv = array_map('str_getcsv', explode("\n", trim(self::ok('webhook list', [], ['format' => 'csv', 'fields' => 'id,name,events']))));
        $this->assertSame([['id', 'name', 'events'], [(string) $id, 'CRM', '["site_created","test_ping"]'], [(string) $second, 'Pings', '["test_ping"]']], $csv);
        $this->assertStringContainsString("payload_format\tenvelope", self::ok('webhook get', [$id]));
        $fields = 'id,name,webhook_url,events,status,active,hidden,integration,payload_format,event_count,failure_count,last_status,disabled_reason,'
            . 'secret_rotating,migrated_from_id,revision,date_created,date_modified,date_last_delivery,date_last_failed,date_disabled';
        $all = [self::ok('webhook list'), self::ok('webhook list', [], ['format' => 'json', 'fields' => $fields]),
            self::ok('webhook get', [$id]), self::ok('webhook get', [$id], ['format' => 'json']), self::ok('webhook get', [$id], ['format' => 'yaml'])];
        foreach ($all as $out) {
            $this->assertStringNotContainsString('whsec_', $out, 'list and get never print a secret');
            $this->assertStringNotContainsString($secret[1], $out);
        }
        $got = self::jsonOut('webhook get', [$id], ['fields' => 'id,webhook_url,payload_format,integration,active']);
        $this->assertSame(['id' => $id, 'webhook_url' => $this->receiver->url('/crm'), 'payload_format' => 'envelope', 'integration' => 'zapier', 'active' => 1], $got);
        $this->assertCliError('Unknown field "secrets"', 'webhook get', [$id], ['fields' => 'secrets']);
        $this->assertCliError("Parameter errors:\n Invalid value specified for 'format' (Output format.)", 'webhook list', [], ['format' => 'xml']);
        $this->assertCliError('Could not find the webhook with ID 999999. See `wp webhook list` for the ids.', 'webhook get', [999999]);

        // rotate-secret prints a new secret once; the engine signs with it.
        $rotated = trim(self::ok('webhook rotate-secret', [$second], ['porcelain' => true]));
        $this->assertMatchesRegularExpression('/^whsec_[A-Za-z0-9+\/=]{44}$/', $rotated);
        $this->assertCliError('Could not find the webhook with ID 999999. See `wp webhook list` for the ids.', 'webhook rotate-secret', [999999]);
        $receiver = new \MultisiteWebhooks\Tests\Support\Receiver([$rotated]);
        try {
            self::ok('webhook update', [$second], ['webhook_url' => $receiver->url('/rotated')]);
            self::ok('webhook test', [$second]);
            $post = $receiver->requests()[0];
            $this->assertTrue($post['signature_valid'], 'the rotated secret printed by the command signs deliveries');
        } finally {
            $receiver->stop();
        }
    }

    public function testBadInputIsAnErrorAndChangesNothing(): void
    {
        $good = ['name' => 'Good', 'webhook_url' => $this->receiver->url('/x'), 'events' => 'test_ping'];
        $this->assertCliError('must start with http:// or https://', 'webhook create', [], ['webhook_url' => 'ftp://example.com/x'] + $good);
        $this->assertCliError('There is no event called "nope"', 'webhook create', [], ['events' => 'test_ping,nope'] + $good);
        $this->assertCliError('name of at least 2 characters', 'webhook create', [], ['name' => 'x'] + $good);
        $this->assertCliError("Invalid value specified for 'payload_format'", 'webhook create', [], ['payload_format' => 'xml'] + $good);
        $this->assertCliError('--active is 0 or 1', 'webhook create', [], ['active' => 'maybe'] + $good);
        $this->assertSame('0', trim(self::ok('webhook list', [], ['format' => 'count'])), 'no webhook was created');

        $id = $this->createViaCli('Keep', '/keep', 'test_ping');
        $other = $this->createViaCli('Other', '/other', 'test_ping');
        $before = self::jsonOut('webhook get', [$id]);
        $this->assertCliError('must not contain spaces', 'webhook update', [$id], ['webhook_url' => 'not a url']);
        $this->assertCliError('must start with http', 'webhook update', [$id], ['webhook_url' => 'not-a-url']);
        $this->assertCliError('There is no event called "nope"', 'webhook update', [$id], ['events' => 'nope']);
        $this->assertCliError('Nothing to update', 'webhook update', [$id]);
        $this->assertCliError('Could not find the webhook with ID 999999. See `wp webhook list` for the ids.', 'webhook update', [999999], ['active' => '0']);
        $this->assertSame($before, self::jsonOut('webhook get', [$id]), 'failed updates changed nothing');
        $this->assertCliError('Could not find the webhook with ID 999999. See `wp webhook list` for the ids.', 'webhook delete', [$id, 999999], ['yes' => true]);
        $this->assertSame('2', trim(self::ok('webhook list', [], ['format' => 'count'])), 'nothing deleted when one id is unknown');

        $this->assertStringContainsString("Success: Updated webhook $id.", self::ok('webhook update', [$id], ['active' => '0', 'name' => 'Kept', 'events' => 'site_created,test_ping']));
        $after = self::jsonOut('webhook get', [$id]);
        $this->assertSame([0, 'inactive', 'Kept', ['site_created', 'test_ping']], [$after['active'], $after['status'], $after['name'], $after['events']]);
        $this->assertSame((string) $id, trim(self::ok('webhook list', [], ['active' => '0', 'format' => 'ids'])));
        $this->assertStringContainsString("Success: Deleted 2 webhooks: $id, $other.", self::ok('webhook delete', [$id, $other], ['yes' => true]));
        $this->assertSame('0', trim(self::ok('webhook list', [], ['format' => 'count'])));
    }

    public function testTestSendsASignedRequestAndFailsOnA500(): void
    {
        $ok = $this->createViaCli('OK', '/status/200', 'site_created,test_ping');
        $r = self::cli('webhook test', [$ok], ['event' => 'test_ping']);
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertMatchesRegularExpression('/^Status: 200 OK$/m', $r['out']);
        $this->assertMatchesRegularExpression('/^Time: \d+ ms$/m', $r['out']);
        $this->assertMatchesRegularExpression('/^Body: status 200$/m', $r['out']);
        $this->assertStringContainsString("Success: Webhook $ok accepted the test test_ping event.", $r['out']);
        $post = $this->waitForPosts('/status/200', 1)[0];
        $this->assertSignedDelivery($post, 'test_ping');
        $this->assertSame(1, json_decode($post['body'], true)['n'], 'the example payload of the chosen event');

        $bad = $this->createViaCli('Broken', '/status/500', 'test_ping');
        $r = $this->assertCliError("Webhook $bad did not accept the test test_ping event (500 Internal Server Error)", 'webhook test', [$bad]);
        $this->assertMatchesRegularExpression('/^Status: 500 Internal Server Error$/m', $r['out']);
        $this->assertMatchesRegularExpression('/^Body: status 500$/m', $r['out']);
        $this->assertCount(1, $this->waitForPosts('/status/500', 1));
        $this->assertCliError('There is no event called "nope"', 'webhook test', [$ok], ['event' => 'nope']);
        $this->assertCliError('Could not find the webhook with ID 999999. See `wp webhook list` for the ids.', 'webhook test', [999999]);
        $this->assertCount(1, $this->posts('/status/200'), 'refused tests sent nothing');
    }

    public function testEventListAndExample(): void
    {
        $events = self::jsonOut('webhook event list');
        $slugs = array_column($events, 'slug');
        $this->assertContains('site_created', $slugs);
        $this->assertContains('test_ping', $slugs);
        $this->assertContains('payment_received', $slugs, 'Ultimate Multisite events are listed');
        $this->assertSame(['slug', 'name', 'source', 'description'], array_keys($events[0]));
        $this->assertSame(implode(' ', $slugs), trim(self::ok('webhook event list', [], ['format' => 'ids'])));
        $this->assertSame((string) count($events), trim(self::ok('webhook event list', [], ['format' => 'count'])));
        $wordpress = self::jsonOut('webhook event list', [], ['source' => 'wordpress', 'fields' => 'slug']);
        $this->assertContains(['slug' => 'site_created'], $wordpress);
        $this->assertNotContains(['slug' => 'test_ping'], $wordpress);
        $example = self::ok('webhook event example', ['test_ping']);
        $this->assertSame(['n' => 1, 'pid' => 1234], json_decode($example, true));
        $this->assertGreaterThan(3, substr_count($example, "\n"), 'pretty-printed');
        $this->assertCliError('There is no event called "nope"', 'webhook event example', ['nope']);
    }

    public function testEmitDeliversToTheReceiver(): void
    {
        $this->createViaCli('Hook', '/hook', 'test_ping');
        $id = trim(self::ok('webhook emit', ['test_ping'], ['payload' => '{"n":7}', 'porcelain' => true]));
        $this->assertMatchesRegularExpression('/^msg_[0-9A-Z]{26}$/', $id);
        $post = $this->waitForPosts('/hook', 1)[0];
        $this->assertSignedDelivery($post, 'test_ping');
        $this->assertSame($id, $post['headers']['webhook-id']);
        $this->assertSame(['n' => 7], json_decode($post['body'], true));

        $fromStdin = trim(self::ok('webhook emit', ['test_ping'], ['payload' => '-', 'porcelain' => true], '{"n": 8, "from": "stdin"}'));
        $got = $this->waitForPosts('/hook', 2);
        $this->assertSame($fromStdin, $got[1]['headers']['webhook-id']);
        $this->assertSame(['n' => 8, 'from' => 'stdin'], json_decode($got[1]['body'], true));

        $this->assertCliError('The payload is not a JSON object (Syntax error)', 'webhook emit', ['test_ping'], ['payload' => '{"n":']);
        $this->assertCliError('The payload is not a JSON object', 'webhook emit', ['test_ping'], ['payload' => '[1,2]']);
        $this->assertCliError('The payload is not a JSON object', 'webhook emit', ['test_ping'], ['payload' => '-'], 'nope');
        $this->assertCliError('There is no event called "nope"', 'webhook emit', ['nope'], ['payload' => '{}']);
        usleep(500_000);
        $this->assertCount(2, $this->posts('/hook'), 'refused emits sent nothing');
    }

    public function testADegradedEmitPrintsTheWebhookIdTheReceiverWillSee(): void
    {
        $this->createViaCli('Hook', '/later', 'test_ping');
        $r = self::cli('webhook emit', ['test_ping'], ['payload' => '{"n":9}'], null, ['ffi.enable=0']);
        $this->assertSame(0, $r['status'], $r['err']);
        $id = trim($r['out']);
        $this->assertStringContainsString('the event waits in the outbox', $r['err']);
        $this->assertInOutbox($id);
        self::ok('webhook queue flush');
        $this->assertSame($id, $this->waitForPosts('/later', 1)[0]['headers']['webhook-id']);
    }

    public function testEmitAndRetryWaitOnlyForTheirOwnDeliveriesAndSayWhatHappened(): void
    {
        $slow = $this->createViaCli('Slow', '/sleep/8000', 'test_ping');
        $fast = $this->createViaCli('Fast', '/fast', 'site_created');
        $failing = $this->createViaCli('Down', '/status/503', 'site_created');
        // An unrelated delivery is on the wire for 8 s (raised by a page view).
        file_get_contents('http://localhost/?mwh_e2e_emit=1');
        $slowDone = static fn (): array => self::jsonOut('webhook delivery list', [], ['webhook' => (string) $slow]);

        $r = self::cli('webhook emit', ['site_created'], ['payload' => '{"site_id":7}']);
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertSame([], $slowDone(), 'the command returned while the unrelated delivery was still on the wire');
        [$id] = explode("\n", trim($r['out']));
        $this->assertMatchesRegularExpression('/^msg_[0-9A-Z]{26}$/', $id, 'the id comes first');
        $this->assertMatchesRegularExpression('/^Webhook ' . $fast . ' \(Fast\): delivered, 200 in \d+ ms \(delivery \d+\)\.$/m', $r['out'], $r['err']);
        $this->assertMatchesRegularExpression(
            '/Warning: Webhook ' . $failing . ' \(Down\): attempt 1 failed \(503\); next attempt at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(delivery \d+\)\./',
            $r['err']
        );
        $this->assertSame($id, $this->posts('/fast')[0]['headers']['webhook-id']);

        // A retry waits for its own new attempt too.
        $delivery = self::jsonOut('webhook delivery list', [], ['webhook' => (string) $fast])[0]['id'];
        $r = self::cli('webhook delivery retry', [$delivery]);
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertSame([], $slowDone(), 'still not waiting for the unrelated delivery');
        $this->assertMatchesRegularExpression('/^Webhook ' . $fast . ' \(Fast\): delivered, 200 in \d+ ms \(delivery (\d+)\)\.$/m', $r['out']);
        preg_match('/\(delivery (\d+)\)/', $r['out'], $m);
        $this->assertGreaterThan($delivery, (int) $m[1], 'the new attempt, not the old one');
        $this->assertCount(2, $this->posts('/fast'));

        // Nobody listening: said. --wait=0 does not wait (not even at exit); --porcelain: the id only.
        $r = self::cli('webhook emit', ['site_deleted'], ['payload' => '{}']);
        $this->assertStringContainsString('No active webhook listens to site_deleted: nothing to deliver.', $r['out']);
        $r = self::cli('webhook emit', ['test_ping'], ['payload' => '{"n":2}', 'porcelain' => true, 'wait' => '0']);
        $this->assertMatchesRegularExpression('/^msg_[0-9A-Z]{26}$/', trim($r['out']), '--porcelain prints only the id');
        $this->assertSame([], $slowDone(), 'and it did not wait for the slow webhook');
    }

    public function testDeliveryListGetAndRetry(): void
    {
        $path = '/seq/500,500,500,500,200';
        $hook = $this->createViaCli('Flaky', $path, 'test_ping');
        $eventId = trim(self::ok('webhook emit', ['test_ping'], ['payload' => '{"n":3}', 'porcelain' => true]));
        file_get_contents('http://localhost/'); // A web worker delivers the retries.
        $this->waitForPosts($path, 4, 30.0);
        $failed = [];
        $end = microtime(true) + 20;
        while ($failed === [] && microtime(true) < $end) {
            $failed = self::jsonOut('webhook delivery list', [], ['webhook' => (string) $hook, 'status' => 'failed']);
            usleep(200_000);
        }
        $this->assertCount(1, $failed, 'the fourth attempt is the final failure');
        $this->assertSame([$eventId, 4, 'failed', 500], [$failed[0]['event_id'], $failed[0]['attempt'], $failed[0]['outcome'], $failed[0]['status_code']]);
        $this->assertSame('4', trim(self::ok('webhook delivery list', [], ['webhook' => (string) $hook, 'format' => 'count'])));
        $ids = array_map('intval', explode(' ', trim(self::ok('webhook delivery list', [], ['webhook' => (string) $hook, 'format' => 'ids']))));
        $this->assertCount(4, $ids);
        $this->assertSame('0', trim(self::ok('webhook delivery list', [], ['webhook' => (string) $hook, 'since' => '+1 day', 'format' => 'count'])));
        $csv = array_map(
            'str_getcsv',
            explode("\n", trim(self::ok('webhook delivery list', [], ['webhook' => (string) $hook, 'status' => 'retrying', 'format' => 'csv', 'fields' => 'attempt,outcome,status_code'])))
        );
        $this->assertSame([['attempt', 'outcome', 'status_code'], ['3', 'retrying', '500'], ['2', 'retrying', '500'], ['1', 'retrying', '500']], $csv);

        $one = self::jsonOut('webhook delivery get', [$failed[0]['id']]);
        $this->assertSame([$hook, 'test_ping', 500, 'status 500'], [$one['webhook_id'], $one['event'], $one['status_code'], $one['response_excerpt']]);
        $this->assertSame(['n' => 3], json_decode($one['payload'], true), 'get shows the payload');
        $this->assertNotEmpty($one['request_headers']['webhook-signature']);
        $this->assertCliError('Could not find the delivery with ID 99999999. See `wp webhook delivery list` for the ids.', 'webhook delivery get', [99999999]);
        $this->assertCliError('Unknown status "broken"', 'webhook delivery list', [], ['status' => 'broken']);
        $this->assertCliError('Cannot read the date "not a date"', 'webhook delivery list', [], ['since' => 'not a date']);
        $this->assertCliError('Could not find the webhook with ID 999999, nor any delivery logged for one. See `wp webhook list` for the ids.', 'webhook delivery list', [], ['webhook' => '999999']);

        // Bad retries queue nothing.
        $this->assertCliError('Could not find the delivery with ID 99999999. See `wp webhook delivery list` for the ids.', 'webhook delivery retry', [$failed[0]['id'], 99999999]);
        $this->assertCliError('Give delivery ids or --all-failed', 'webhook delivery retry');
        $this->assertCliError('Cannot read the date', 'webhook delivery retry', [], ['all-failed' => true, 'since' => 'whenever']);
        usleep(500_000);
        $this->assertCount(4, $this->posts($path));

        $r = self::cli('webhook delivery retry', [], ['all-failed' => true, 'webhook' => (string) $hook, 'since' => '1 hour ago', 'yes' => true]);
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertStringContainsString('Success: Queued 1 delivery again.', $r['out']);
        $got = $this->waitForPosts($path, 5);
        $this->assertSame($eventId, $got[4]['headers']['webhook-id'], 'a retry keeps the webhook-id');
        $this->assertSame(['n' => 3], json_decode($got[4]['body'], true));

        $r = self::cli('webhook delivery retry', [$ids[0], $ids[1]]);
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertStringContainsString('Success: Queued 2 deliveries again.', $r['out']);
        $this->assertStringContainsString('Progress: Queueing 2 deliveries (2)', $r['err']);
        $this->assertStringContainsString('Progress: 2/2 done', $r['err']);
        $got = $this->waitForPosts($path, 7);
        $this->assertSame([$eventId, $eventId], [$got[5]['headers']['webhook-id'], $got[6]['headers']['webhook-id']]);
        $this->assertStringContainsString('Success: No failed deliveries to retry.', self::ok('webhook delivery retry', [], ['all-failed' => true, 'since' => '+1 day', 'yes' => true]));
    }

    public function testQueueStatusAndFlush(): void
    {
        file_get_contents('http://localhost/');
        $s = self::jsonOut('webhook queue status');
        $this->assertSame(
            ['mode', 'depth', 'queued', 'in_flight', 'retrying', 'parked', 'parked_by_webhook', 'leader_pid', 'leader_alive', 'last_error', 'outbox', 'delivered', 'failed', 'spool_dir'],
            array_keys($s)
        );
        foreach (['depth', 'queued', 'in_flight', 'retrying', 'parked', 'outbox'] as $n) {
            $this->assertIsInt($s[$n], $n);
        }
        $this->assertSame('ffi', $s['mode']);
        $this->assertIsInt($s['leader_pid']);
        $this->assertSame(1, $s['leader_alive']);
        $this->assertSame(self::$env['MWH_SPOOL_DIR'], $s['spool_dir']);
        $table = self::ok('webhook queue status', [], ['fields' => 'depth,leader_pid']);
        $this->assertMatchesRegularExpression("/^depth\t\d+$/m", $table);
        $this->assertMatchesRegularExpression("/^leader_pid\t\d+$/m", $table);
        $this->assertCliError("Invalid value specified for 'format'", 'webhook queue status', [], ['format' => 'ids']);

        $this->createViaCli('Hook', '/q', 'test_ping');
        self::ok('webhook emit', ['test_ping'], ['payload' => '{"n":1}']);
        $r = self::cli('webhook queue flush', [], ['timeout' => '10']);
        $this->assertSame(0, $r['status'], $r['err']);
        $this->assertMatchesRegularExpression('/^Success: Nothing is due or in flight \(\d+ retrying later, \d+ parked\); \d+ attempts recorded/m', $r['out']);
        // When the time runs out it names the same four counts the depth is made of.
        $this->createViaCli('Slow', '/sleep/3000', 'test_ping');
        self::ok('webhook emit', ['test_ping'], ['payload' => '{"n":2}', 'wait' => '0', 'porcelain' => true]);
        $r = self::cli('webhook queue flush', [], ['timeout' => '0.2']);
        $this->assertSame(1, $r['status'], $r['out'] . $r['err']);
        $this->assertMatchesRegularExpression(
            '/Still (\d+) deliveries waiting after 0\.2 s: (\d+) due, (\d+) in flight, (\d+) retrying later, (\d+) parked \(endpoint unreachable\); nothing is lost/',
            $r['err']
        );
        preg_match('/Still (\d+) deliveries waiting after 0\.2 s: (\d+) due, (\d+) in flight, (\d+) retrying later, (\d+) parked/', $r['err'], $n);
        $this->assertGreaterThan(0, (int) $n[1]);
        $this->assertSame((int) $n[1], (int) $n[2] + (int) $n[3] + (int) $n[4] + (int) $n[5], 'the parts add up to the total');
        $this->assertCliError('--timeout is a number of seconds', 'webhook queue flush', [], ['timeout' => 'soon']);
        $this->assertCliError('--timeout is a number of seconds', 'webhook queue flush', [], ['timeout' => '-1']);
    }

    public function testDoctorIsAllOkHereAndExplainsAFailure(): void
    {
        file_get_contents('http://localhost/'); // A page view keeps a delivering web worker.
        $r = self::cli('webhook doctor');
        $this->assertSame(0, $r['status'], $r['out'] . $r['err']);
        $lines = explode("\n", trim($r['out']));
        $this->assertSame('Success: All 11 checks passed.', array_pop($lines));
        $names = ['FFI extension', 'ffi.enable', 'engine library', 'library version', 'spool directory exists', 'spool directory writable',
            'spool directory mode', 'spool files owned and private', 'spool not served over HTTP', 'delivery leader alive', 'outbox empty'];
        $this->assertCount(11, $lines);
        foreach ($lines as $i => $l) {
            $this->assertStringStartsWith('OK    ' . $names[$i] . ': ', $l);
        }
        $this->assertStringContainsString('OK    spool directory mode: 0700', $r['out']);
        $this->assertStringContainsString('OK    library version: 0.1.0 (plugin needs 0.1.0', $r['out']);

        $r = self::cli('webhook doctor', [], [], null, ['ffi.enable=0']);
        $this->assertSame(1, $r['status']);
        $this->assertMatchesRegularExpression('/^FAIL  ffi\.enable: 0 \(forbids FFI for this cli process\) — Fix: Set ffi\.enable=preload/m', $r['out']);
        $this->assertMatchesRegularExpression('/^FAIL  library version: ffi\.enable is "0".* — Fix: /m', $r['out']);
        $this->assertStringContainsString('OK    FFI extension: loaded', $r['out']);
        $this->assertStringContainsString('checks failed; apply the fixes above', $r['err']);

        // --quiet keeps what failed and how to fix it; --format=json is for monitoring.
        $r = self::cli('webhook doctor', [], ['quiet' => true], null, ['ffi.enable=0']);
        $this->assertSame(1, $r['status']);
        $this->assertMatchesRegularExpression('/^FAIL  ffi\.enable: .* — Fix: Set ffi\.enable=preload/m', $r['out']);
        $this->assertStringNotContainsString('OK    ', $r['out']);
        $checks = json_decode(self::ok('webhook doctor', [], ['format' => 'json']), true);
        $this->assertCount(11, $checks);
        $this->assertSame(['check' => 'FFI extension', 'ok' => 1, 'detail' => 'loaded', 'fix' => ''], $checks[0]);
        $r = self::cli('webhook doctor', [], ['format' => 'json'], null, ['ffi.enable=0']);
        $this->assertSame(1, $r['status']);
        $failed = array_values(array_filter(json_decode(trim($r['out']), true), static fn (array $c): bool => $c['ok'] === 0));
        $this->assertSame('ffi.enable', $failed[0]['check']);
        $this->assertStringStartsWith('Set ffi.enable=preload', $failed[0]['fix']);
    }

    public function testImportUltimateMultisiteIsIdempotentAndCanDisableTheSource(): void
    {
        $url1 = $this->receiver->url('/um1');
        $url2 = $this->receiver->url('/um2');
        self::wp('global $wpdb; $t = $wpdb->base_prefix . "wu_webhooks"; $wpdb->query("DROP TABLE IF EXISTS $t");
            $wpdb->query("CREATE TABLE $t (id bigint(20) unsigned NOT NULL AUTO_INCREMENT, name varchar(191) NOT NULL, webhook_url varchar(191) NOT NULL,
                event varchar(191) NOT NULL, event_count int(10) NOT NULL DEFAULT 0, active tinyint(4) NOT NULL DEFAULT 1, hidden tinyint(4) NOT NULL DEFAULT 0,
                integration varchar(191) NOT NULL DEFAULT \'manual\', date_last_failed datetime NULL, date_created datetime NULL, date_modified datetime NULL, PRIMARY KEY (id))");
            $wpdb->insert(
                $t,
                [
                    "id" => 11,
                    "name" => "Payments to CRM",
                    "webhook_url" => ' . var_export($url1, true) . ',
                    "event" => "payment_received",
                    "event_count" => 5,
                    "active" => 1,
                    "integration" => "zapier",
                    "date_created" => "2023-01-01 00:00:00",
                ]
            );
            $wpdb->insert(
                $t,
                [
                    "id" => 12,
                    "name" => "New sites",
                    "webhook_url" => ' . var_export($url2, true) . ',
                    "event" => "site_created",
                    "event_count" => 0,
                    "active" => 0,
                    "date_created" => "2023-01-02 00:00:00",
                ]
            );
            $wpdb->insert($t, ["id" => 13, "name" => "Gone plugin", "webhook_url" => "https://example.com/x", "event" => "some_removed_event", "active" => 1]);
            if ($wpdb->last_error) { fwrite(STDERR, $wpdb->last_error); exit(1); }');
        try {
            $r = self::cli('webhook import-ultimate-multisite');
            $this->assertSame(0, $r['status'], $r['err']);
            $this->assertMatchesRegularExpression('/^Imported Ultimate Multisite webhook 11 as webhook \d+ \(Payments to CRM\)\.$/m', $r['out']);
            $this->assertStringContainsString('Warning: Skipped Ultimate Multisite webhook 13: this network has no event "some_removed_event"', $r['err']);
            $this->assertStringContainsString('Success: Imported 2, already imported 0, skipped 1; disabled 0 source rows.', $r['out']);
            $list = self::jsonOut('webhook list', [], ['fields' => 'name,webhook_url,events,active,integration,event_count,migrated_from_id']);
            $expected = [
                ['name' => 'Payments to CRM', 'webhook_url' => $url1, 'events' => ['payment_received'], 'active' => 1, 'integration' => 'zapier', 'event_count' => 5, 'migrated_from_id' => 11],
                ['name' => 'New sites', 'webhook_url' => $url2, 'events' => ['site_created'], 'active' => 0, 'integration' => 'manual', 'event_count' => 0, 'migrated_from_id' => 12],
            ];
            $this->assertSame($expected, $list);
            $source = static fn (): array => self::wpJson(
                'global $wpdb; echo json_encode(array_map("intval", $wpdb->get_col("SELECT active FROM " . $wpdb->base_prefix . "wu_webhooks ORDER BY id")));'
            );
            $this->assertSame([1, 0, 1], $source(), 'without --disable-source the source is untouched');

            $r = self::cli('webhook import-ultimate-multisite', [], ['disable-source' => true]);
            $this->assertSame(0, $r['status'], $r['err']);
            $this->assertStringContainsString('Success: Imported 0, already imported 2, skipped 1; disabled 1 source rows.', $r['out']);
            $this->assertSame($expected, self::jsonOut('webhook list', [], ['fields' => 'name,webhook_url,events,active,integration,event_count,migrated_from_id']), 'importing again adds nothing');
            $this->assertSame([0, 0, 1], $source(), 'imported source rows are inactive; the skipped one is left as it was');
            $this->assertStringContainsString('Imported 0, already imported 2', self::ok('webhook import-ultimate-multisite'));
            $this->assertSame('2', trim(self::ok('webhook list', [], ['format' => 'count'])));
        } finally {
            self::wp('global $wpdb; $wpdb->query("DROP TABLE IF EXISTS " . $wpdb->base_prefix . "wu_webhooks");
                delete_site_option(MultisiteWebhooks\Options::UM_TAKEOVER);');
        }
        $this->assertStringContainsString(
            'Success: Nothing to import: There is no table wp_wu_webhooks: Ultimate Multisite has no webhooks on this network',
            self::ok('webhook import-ultimate-multisite'),
            'nothing to migrate is not a failure'
        );
    }
}
