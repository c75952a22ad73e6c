<?php
/**
 * `wp webhook`: manage the network's webhooks, send tests, emit events, check the setup and
 * import Ultimate Multisite's webhooks.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

use MultisiteWebhooks\Plugin;
use MultisiteWebhooks\Settings;
use MultisiteWebhooks\Store\Webhooks;

/**
 * Manages the network's webhooks.
 *
 * ## EXAMPLES
 *
 *     # List webhooks
 *     $ wp webhook list
 *
 *     # Create one and keep its id and secret
 *     $ wp webhook create --name="CRM" --webhook_url=https://crm.example.com/hooks --events=site_created --porcelain
 *
 *     # Check that everything the delivery engine needs is in place
 *     $ wp webhook doctor
 */
final class WebhookCommand
{
    /** Fields of a webhook, in display order (secrets are never among them). */
    public const FIELDS = ['id', 'name', 'webhook_url', 'headers', 'events', 'status', 'active', 'hidden', 'integration', 'payload_format',
        'event_count', 'failure_count', 'last_status', 'disabled_reason', 'secret_rotating', 'migrated_from_id', 'revision',
        'date_created', 'date_modified', 'date_last_delivery', 'date_last_failed', 'date_disabled', 'parked', 'next_probe_at'];

    /** Fields `list` shows without `--fields`. */
    public const LIST_FIELDS = ['id', 'name', 'webhook_url', 'events', 'status', 'event_count', 'failure_count'];

    /** Assoc args of create/update => webhook fields. */
    private const EDITABLE = ['name' => 'name', 'webhook_url' => 'webhook_url', 'headers' => 'headers', 'events' => 'events', 'active' => 'active',
        'hidden' => 'hidden', 'payload_format' => 'payload_format', 'integration' => 'integration'];

    private Plugin $plugin;

    public function __construct(?Plugin $plugin = null)
    {
        $this->plugin = $plugin ?? Commands::plugin();
    }

    /**
     * Lists webhooks.
     *
     * ## OPTIONS
     *
     * [--event=<slug>]
     * : Only webhooks that receive this event (subscribed to it, or to every event with `*`).
     *
     * [--status=<status>]
     * : Only webhooks in this state: `active` (receives events), `inactive` (turned off) or
     * `disabled` (turned off by the engine after 5 days of failures or a 410 answer).
     *
     * [--active=<0|1>]
     * : Only active (1) or inactive (0) webhooks.
     *
     * [--integration=<name>]
     * : Only webhooks of this integration.
     *
     * [--search=<text>]
     * : Only webhooks whose name, URL, events or integration contain this text.
     *
     * [--field=<field>]
     * : Print only this field of each webhook, one per line.
     *
     * [--fields=<fields>]
     * : Comma-separated fields to show. Defaults to id,name,webhook_url,events,status,event_count,failure_count.
     *
     * [--format=<format>]
     * : Output format.
     * ---
     * default: table
     * options:
     *   - table
     *   - json
     *   - csv
     *   - yaml
     *   - ids
     *   - count
     * ---
     *
     * ## AVAILABLE FIELDS
     *
     * id, name, webhook_url, events, status, active, hidden, integration, payload_format,
     * event_count, failure_count, last_status, disabled_reason, secret_rotating,
     * migrated_from_id, revision, date_created, date_modified, date_last_delivery,
     * date_last_failed, date_disabled, parked (deliveries waiting while the endpoint is
     * unreachable), next_probe_at (when the engine tries it again, UTC)
     *
     * ## EXAMPLES
     *
     *     # The name and state of every webhook
     *     $ wp webhook list --fields=id,name,status
     *
     *     # The ids of the webhooks that receive site_created
     *     $ wp webhook list --event=site_created --format=ids
     *
     *     # The URLs of the webhooks the engine disabled
     *     $ wp webhook list --status=disabled --field=webhook_url
     *
     * @subcommand list
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function list_(array $args, array $assoc): void
    {
        $filters = [];
        foreach (['event', 'integration', 'search'] as $f) {
            if (isset($assoc[$f]) && $assoc[$f] !== true) {
                $filters[$f] = (string) $assoc[$f];
            }
        }
        if (isset($filters['event']) && !$this->plugin->catalog()->has($filters['event'])) {
            \WP_CLI::error(sprintf('There is no event called "%s". See `wp webhook event list`.', $filters['event']));
        }
        if (isset($assoc['status'])) {
            $filters['status'] = Output::oneOf('status', $assoc['status'], Webhooks::STATUSES);
        }
        if (isset($assoc['active'])) {
            $filters['active'] = self::flag($assoc['active'], 'active') ? '1' : '0';
        }
        Output::items($assoc, $this->withCircuit($this->plugin->webhooks()->list($filters)), self::LIST_FIELDS, self::FIELDS);
    }

    /**
     * Shows one webhook (never its secret).
     *
     * ## OPTIONS
     *
     * <id>
     * : The webhook id.
     *
     * [--fields=<fields>]
     * : Comma-separated fields to show. Defaults to all.
     *
     * [--field=<field>]
     * : Print only the value of this field.
     *
     * [--format=<format>]
     * : Output format.
     * ---
     * default: table
     * options:
     *   - table
     *   - json
     *   - csv
     *   - yaml
     * ---
     *
     * ## EXAMPLES
     *
     *     # Every field of webhook 3
     *     $ wp webhook get 3
     *
     *     # Its URL and events as one JSON object
     *     $ wp webhook get 3 --fields=webhook_url,events --format=json
     *     {"webhook_url":"https:\/\/crm.example.com\/hooks","events":["site_created"]}
     *
     *     # Only its URL
     *     $ wp webhook get 3 --field=webhook_url
     *     https://crm.example.com/hooks
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function get(array $args, array $assoc): void
    {
        Output::item($assoc, $this->withCircuit([$this->hook($args[0] ?? '')])[0], self::FIELDS);
    }

    /**
     * Creates a webhook and prints its signing secret (shown only this once).
     *
     * ## OPTIONS
     *
     * --name=<name>
     * : A name for people (2 to 191 characters).
     *
     * --webhook_url=<url>
     * : The http(s) URL that receives the events. (Not `--url`: that is WP-CLI's site selector.)
     *
     * --events=<slugs>
     * : Comma-separated event slugs (see `wp webhook event list`), or `*` for every event.
     *
     * [--active=<0|1>]
     * : Whether it receives events. Defaults to 1.
     *
     * [--payload_format=<format>]
     * : `flat` (the payload as the body) or `envelope` ({type, timestamp, data}). Defaults to flat.
     * ---
     * options:
     *   - flat
     *   - envelope
     * ---
     *
     * [--integration=<name>]
     * : Which integration the webhook belongs to. Defaults to manual.
     *
     * [--headers=<json>]
     * : Headers sent with every request, as a JSON object, e.g. '{"Authorization":"Bearer …"}'. Their values are never shown again.
     *
     * [--hidden=<0|1>]
     * : Mark it hidden, as Ultimate Multisite marks webhooks an integration made (the admin list still shows it, marked). Defaults to 0.
     *
     * [--porcelain]
     * : Output just the new webhook's id. The secret is not printed: add --show-secret.
     *
     * [--show-secret]
     * : With --porcelain: print the id and the secret on one line, separated by a space.
     *
     * ## EXAMPLES
     *
     *     # Create a webhook; its signing secret is printed this once (also with --quiet)
     *     $ wp webhook create --name="CRM" --webhook_url=https://crm.example.com/hooks --events=site_created,user_registered
     *     Signing secret (shown only now, keep it): whsec_…
     *     Success: Created webhook 4.
     *
     *     # Keep the id in a script
     *     $ ID=$(wp webhook create --name=Zapier --webhook_url=https://hooks.zapier.com/x --events='*' --porcelain)
     *
     *     # Keep the id and the secret
     *     $ read -r ID SECRET < <(wp webhook create --name=Slack --webhook_url=https://hooks.slack.com/x --events=site_created --porcelain --show-secret)
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function create(array $args, array $assoc): void
    {
        $porcelain = (bool) \WP_CLI\Utils\get_flag_value($assoc, 'porcelain', false);
        if (\WP_CLI\Utils\get_flag_value($assoc, 'show-secret', false) && !$porcelain) {
            \WP_CLI::error('--show-secret goes with --porcelain (without it, the secret is printed anyway).');
        }
        $created = $this->saved(null, $assoc);
        if ($porcelain) {
            \WP_CLI::line(\WP_CLI\Utils\get_flag_value($assoc, 'show-secret', false) ? $created['id'] . ' ' . $created['secret'] : (string) $created['id']);
            return;
        }
        // line(), not log(): --quiet must not lose a secret that is shown only once.
        \WP_CLI::line('Signing secret (shown only now, keep it): ' . $created['secret']);
        \WP_CLI::success(sprintf('Created webhook %d.', $created['id']));
    }

    /**
     * Changes fields of a webhook; `--active=1` also turns on one the engine disabled.
     *
     * ## OPTIONS
     *
     * <id>
     * : The webhook id.
     *
     * [--name=<name>]
     * : New name.
     *
     * [--webhook_url=<url>]
     * : New http(s) URL.
     *
     * [--events=<slugs>]
     * : New comma-separated event slugs (replaces the old list).
     *
     * [--active=<0|1>]
     * : Turn delivery on (1) or off (0).
     *
     * [--hidden=<0|1>]
     * : Mark it hidden (1) or not (0); the admin list shows it either way, marked when hidden.
     *
     * [--payload_format=<format>]
     * : `flat` or `envelope`.
     *
     * [--integration=<name>]
     * : New integration name.
     *
     * [--headers=<json>]
     * : Replaces the headers sent with every request (a JSON object; '{}' removes them). A value given as "***" keeps the saved one.
     *
     * ## EXAMPLES
     *
     *     # Stop sending to webhook 4
     *     $ wp webhook update 4 --active=0
     *     Success: Updated webhook 4.
     *
     *     # New events, and the Standard Webhooks envelope
     *     $ wp webhook update 4 --events=site_created,site_deleted --payload_format=envelope
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function update(array $args, array $assoc): void
    {
        $hook = $this->hook($args[0] ?? '');
        if (array_intersect_key($assoc, self::EDITABLE) === []) {
            \WP_CLI::error('Nothing to update: give at least one of --' . implode(', --', array_keys(self::EDITABLE)) . '.');
        }
        $this->saved($hook['id'], $assoc);
        \WP_CLI::success(sprintf('Updated webhook %d.', $hook['id']));
    }

    /**
     * Deletes webhooks.
     *
     * Their deliveries waiting for a retry are cancelled; their delivery log stays until it
     * ages out (`wp webhook delivery list --webhook=<id>` still shows it). Asks for
     * confirmation unless --yes.
     *
     * ## OPTIONS
     *
     * <id>...
     * : One or more webhook ids. Nothing is deleted when any of them does not exist.
     *
     * [--yes]
     * : Answer yes to the confirmation message.
     *
     * ## EXAMPLES
     *
     *     # Delete two webhooks without being asked
     *     $ wp webhook delete 4 5 --yes
     *     Success: Deleted 2 webhooks: 4, 5.
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function delete(array $args, array $assoc): void
    {
        if ($args === []) {
            \WP_CLI::error('Give the id of the webhook to delete (see `wp webhook list`).');
        }
        $ids = array_values(array_unique(array_column((new Fetcher($this->plugin))->all('webhook', $args), 'id')));
        \WP_CLI::confirm(sprintf(count($ids) === 1 ? 'Delete webhook %s? Its deliveries waiting for a retry are cancelled.'
            : 'Delete webhooks %s? Their deliveries waiting for a retry are cancelled.', implode(', ', $ids)), $assoc);
        foreach ($ids as $id) {
            $this->plugin->webhooks()->delete($id);
        }
        \WP_CLI::success(sprintf(count($ids) === 1 ? 'Deleted %d webhook: %s.' : 'Deleted %d webhooks: %s.', count($ids), implode(', ', $ids)));
    }

    /**
     * Gives a webhook a new signing secret and prints it, this once.
     *
     * The old secret keeps signing alongside the new one for 24 hours, so receivers can
     * switch without missing a delivery. The secret is printed also with --quiet.
     *
     * ## OPTIONS
     *
     * <id>
     * : The webhook id.
     *
     * [--porcelain]
     * : Output just the new secret.
     *
     * ## EXAMPLES
     *
     *     # Rotate, and read the new secret
     *     $ wp webhook rotate-secret 4
     *     New signing secret (shown only now, keep it): whsec_…
     *     Success: Webhook 4 signs with the new secret; the old one keeps signing for 24 hours.
     *
     *     # Only the secret, for scripts
     *     $ NEW=$(wp webhook rotate-secret 4 --porcelain)
     *
     * @subcommand rotate-secret
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function rotate_secret(array $args, array $assoc): void
    {
        $hook = $this->hook($args[0] ?? '');
        $secret = (string) $this->plugin->webhooks()->rotateSecret($hook['id']);
        if (\WP_CLI\Utils\get_flag_value($assoc, 'porcelain', false)) {
            \WP_CLI::line($secret);
            return;
        }
        \WP_CLI::line('New signing secret (shown only now, keep it): ' . $secret);
        \WP_CLI::success(sprintf('Webhook %d signs with the new secret; the old one keeps signing for 24 hours.', $hook['id']));
    }

    /**
     * Sends a signed test request to a webhook now and shows the answer.
     *
     * The request is real and signed like every delivery, and logged as a test. Exits
     * non-zero when the endpoint does not answer 2xx.
     *
     * ## OPTIONS
     *
     * <id>
     * : The webhook id.
     *
     * [--event=<slug>]
     * : Send the example payload of this event. Defaults to the webhook's first event.
     *
     * ## EXAMPLES
     *
     *     # Send the example payload of the webhook's first event
     *     $ wp webhook test 4
     *     Status: 200 OK
     *     Time: 41 ms
     *     Body: {"received":true}
     *     Success: Webhook 4 accepted the test site_created event.
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function test(array $args, array $assoc): void
    {
        $hook = $this->hook($args[0] ?? '');
        $event = isset($assoc['event']) && $assoc['event'] !== true ? (string) $assoc['event'] : null;
        if ($event !== null && !$this->plugin->catalog()->has($event)) {
            \WP_CLI::error(sprintf('There is no event called "%s". See `wp webhook event list`.', $event));
        }
        $r = $this->plugin->operations()->sendTest($hook['id'], $event);
        if (is_wp_error($r)) {
            \WP_CLI::error($r->get_error_message());
        }
        $status = isset($r['status']) ? trim($r['status'] . ' ' . (string) ($r['reason'] ?? '')) : 'no response: ' . (string) ($r['error'] ?? 'unknown error');
        $excerpt = trim((string) preg_replace('/\s+/', ' ', (string) ($r['response_excerpt'] ?? '')));
        if (mb_strlen($excerpt) > 300) {
            $excerpt = mb_substr($excerpt, 0, 300) . '…';
        }
        \WP_CLI::log('Status: ' . $status);
        \WP_CLI::log(sprintf('Time: %d ms', (int) ($r['duration_ms'] ?? 0)));
        \WP_CLI::log('Body: ' . ($excerpt === '' ? '(empty)' : $excerpt));
        if (!empty($r['delivery_id'])) {
            \WP_CLI::log(sprintf('Logged as delivery %d (`wp webhook delivery get %1$d`).', (int) $r['delivery_id']));
        }
        $sent = (string) ($r['event'] ?? $event ?? '');
        if (empty($r['ok'])) {
            \WP_CLI::error(sprintf(
                'Webhook %d did not accept the test %s event (%s). Make %s answer a POST with a 2xx status, then run this again.',
                $hook['id'],
                $sent,
                $status,
                $hook['webhook_url']
            ));
        }
        \WP_CLI::success(sprintf('Webhook %d accepted the test %s event.', $hook['id'], $sent));
    }

    /**
     * Emits an event to the webhooks that receive it and says what happened to each.
     *
     * Prints the event's id (the `webhook-id` receivers see), then waits for the first attempt
     * of each of its deliveries — only its own, not the rest of the queue — and says what
     * happened to each.
     *
     * ## OPTIONS
     *
     * <slug>
     * : A registered event slug (see `wp webhook event list`).
     *
     * [--payload=<json>]
     * : The payload, a JSON object; `-` reads it from standard input. Defaults to {}.
     *
     * [--wait=<seconds>]
     * : How long to wait for the deliveries; 0 does not wait (they are sent anyway). Defaults
     * to MULTISITE_WEBHOOKS_FLUSH_TIMEOUT (10).
     *
     * [--porcelain]
     * : Print only the event id (the deliveries are still waited for, silently).
     *
     * ## EXAMPLES
     *
     *     # Emit, and see each delivery's first attempt
     *     $ wp webhook emit site_created --payload='{"site_id":7}'
     *     msg_01J9Z3R6W0Q8Y7X5V4T3S2R1PA
     *     Webhook 3 (CRM): delivered, 200 in 41 ms (delivery 812).
     *
     *     # Only the id, for scripts.
     *     $ ID=$(wp webhook emit site_created --payload='{"site_id":7}' --porcelain)
     *
     *     # The payload from standard input
     *     $ wp webhook event example site_created | wp webhook emit site_created --payload=-
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function emit(array $args, array $assoc): void
    {
        $slug = (string) ($args[0] ?? '');
        if (!$this->plugin->catalog()->has($slug)) {
            \WP_CLI::error(sprintf('There is no event called "%s". See `wp webhook event list`.', $slug));
        }
        $json = '{}';
        if (isset($assoc['payload']) && $assoc['payload'] !== true) {
            $json = (string) $assoc['payload'];
            if ($json === '-') {
                $json = (string) file_get_contents('php://stdin');
            }
        }
        $decoded = json_decode($json);
        if (!$decoded instanceof \stdClass) {
            \WP_CLI::error(sprintf(
                'The payload is not a JSON object (%s). Give an object such as --payload=\'{"key":"value"}\'.',
                json_last_error() !== JSON_ERROR_NONE ? json_last_error_msg() : 'got ' . gettype($decoded)
            ));
        }
        $id = $this->plugin->emitter()->emit($slug, $json);
        if (is_wp_error($id)) {
            \WP_CLI::error($id->get_error_message());
        }
        if ($this->plugin->emitter()->wentToOutbox((string) $id)) {
            \WP_CLI::warning('This PHP cannot reach the delivery engine; the event waits in the outbox until a process with the engine moves it. Run `wp webhook doctor`.');
        }
        \WP_CLI::line((string) $id);
        $wait = isset($assoc['wait']) ? (float) $assoc['wait'] : Settings::flushTimeoutMs() / 1000;
        $porcelain = (bool) \WP_CLI\Utils\get_flag_value($assoc, 'porcelain', false);
        $mine = $this->plugin->emitter()->takeEmitted();
        if ($mine === [] || $wait <= 0) {
            return;
        }
        $ops = $this->plugin->operations();
        $targets = $ops->targetsOf($mine);
        if ($targets === []) {
            if (!$porcelain) {
                \WP_CLI::log(sprintf('No active webhook listens to %s: nothing to deliver.', $slug));
            }
            return;
        }
        $awaited = $ops->awaitDeliveries($targets, $wait);
        if (!$porcelain) {
            Output::deliveries($awaited, $wait);
        }
    }

    /**
     * Checks everything the delivery engine needs.
     *
     * One line per check, with the fix for each one that fails (failures are shown also with
     * --quiet). Exits non-zero when something is wrong.
     *
     * Checks: FFI extension loaded; ffi.enable allows FFI; engine library found; library
     * version matches the plugin; spool directory exists, is writable and is mode 0700; every
     * spool file belongs to the spool's owner and is private; the spool is not served over
     * HTTP (a probe file is fetched through its URL when it lies under a served folder); a
     * delivering process (leader) is alive; the outbox is empty.
     *
     * ## OPTIONS
     *
     * [--format=<format>]
     * : `text` prints a line per check; the other formats print the checks as records
     * (check, ok, detail, fix), for monitoring.
     * ---
     * default: text
     * options:
     *   - text
     *   - json
     *   - csv
     *   - yaml
     * ---
     *
     * ## EXAMPLES
     *
     *     # Check the setup of this server
     *     $ wp webhook doctor
     *     OK    FFI extension: loaded
     *     OK    ffi.enable: preload (allows FFI for this cli process)
     *     ...
     *     Success: All 11 checks passed.
     *
     *     # The same for a monitoring script: exit status 1 and `"ok":0` entries when something is wrong
     *     $ wp webhook doctor --format=json
     *     [{"check":"FFI extension","ok":1,"detail":"loaded","fix":""}, …]
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function doctor(array $args, array $assoc): void
    {
        $checks = (new Doctor($this->plugin))->run();
        $failed = count(array_filter($checks, static fn (array $c): bool => !$c['ok']));
        $format = (string) ($assoc['format'] ?? 'text');
        if ($format !== 'text') {
            $rows = array_map(static fn (array $c): array => ['check' => $c['check'], 'ok' => (bool) $c['ok'], 'detail' => $c['detail'], 'fix' => $c['ok'] ? '' : $c['fix']], $checks);
            Output::items(['format' => $format], $rows, ['check', 'ok', 'detail', 'fix'], ['check', 'ok', 'detail', 'fix']);
            if ($failed > 0) {
                \WP_CLI::error(sprintf('%d of %d checks failed.', $failed, count($checks)));
            }
            return;
        }
        foreach ($checks as $c) {
            if ($c['ok']) {
                \WP_CLI::log(sprintf('OK    %s: %s', $c['check'], $c['detail']));
            } else {
                \WP_CLI::line(sprintf('FAIL  %s: %s — Fix: %s', $c['check'], $c['detail'], $c['fix']));
            }
        }
        if ($failed > 0) {
            \WP_CLI::error(sprintf('%d of %d checks failed; apply the fixes above and run `wp webhook doctor` again.', $failed, count($checks)));
        }
        \WP_CLI::success(sprintf('All %d checks passed.', count($checks)));
    }

    /**
     * Runs the delivery worker: this process leads delivery for the server.
     *
     * The worker drains the database outbox continuously (events raised where PHP has no FFI are
     * sent within about a second), imports results into the delivery log and prunes it. It
     * stops after --max-seconds or past --max-memory MB (run it under systemd or supervisor,
     * which start it again) and on SIGTERM, recording the attempts in flight.
     *
     * ## OPTIONS
     *
     * [--max-seconds=<seconds>]
     * : Stop after this long.
     * ---
     * default: 3600
     * ---
     *
     * [--max-memory=<mb>]
     * : Stop once the process uses more memory than this.
     * ---
     * default: 256
     * ---
     *
     * [--nice=<n>]
     * : Lower the worker's CPU priority by this much (0–19), so page views on the same cores
     * come before deliveries.
     * ---
     * default: 10
     * ---
     *
     * [--verbose]
     * : Print a status line every 10 seconds.
     *
     * ## EXAMPLES
     *
     *     # Under systemd (see contrib/multisite-webhooks-worker.service):
     *     $ sudo -u www-data wp webhook worker --max-seconds=3600
     *     Success: Worker stopped (time) after 3600.0 s: 1204 events moved from the outbox, 5210 attempts logged, 3 jobs done for web requests.
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function worker(array $args, array $assoc): void
    {
        $seconds = (int) ($assoc['max-seconds'] ?? 3600);
        $memory = (int) ($assoc['max-memory'] ?? 256);
        $nice = (int) ($assoc['nice'] ?? 10);
        if ($seconds < 1 || $memory < 16 || $nice < 0 || $nice > 19) {
            \WP_CLI::error('--max-seconds must be at least 1, --max-memory at least 16 and --nice 0 to 19.');
        }
        $verbose = (bool) \WP_CLI\Utils\get_flag_value($assoc, 'verbose', false);
        try {
            $r = (new \MultisiteWebhooks\Worker($this->plugin))->run($seconds, $memory, 0.2, $verbose ? static function (string $line): void {
                \WP_CLI::log($line);
            } : null, 10.0, $nice);
        } catch (\RuntimeException $e) {
            \WP_CLI::error('The worker needs the delivery engine: ' . $e->getMessage());
        }
        \WP_CLI::success(sprintf(
            'Worker stopped (%s) after %.1f s: %d events moved from the outbox, %d attempts logged, %d jobs done for web requests.',
            $r['reason'],
            $r['seconds'],
            $r['moved'],
            $r['imported'],
            $r['jobs']
        ));
    }

    /**
     * Copies Ultimate Multisite's webhooks into this plugin.
     *
     * Reads the table `{base_prefix}wu_webhooks`. Rows imported before are skipped, so running
     * it again changes nothing; rows whose event this network does not know are reported and
     * skipped.
     *
     * ## OPTIONS
     *
     * [--disable-source]
     * : Set `active` to 0 on the Ultimate Multisite rows that are (now or before) imported, so
     * no event is sent twice.
     *
     * ## EXAMPLES
     *
     *     # Import, and turn the originals off so nothing is sent twice
     *     $ wp webhook import-ultimate-multisite --disable-source
     *     Imported Ultimate Multisite webhook 1 as webhook 7 (CRM).
     *     Success: Imported 1, already imported 0, skipped 0; disabled 1 source rows.
     *
     * @subcommand import-ultimate-multisite
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function import_ultimate_multisite(array $args, array $assoc): void
    {
        $r = $this->plugin->umImport()->run((bool) \WP_CLI\Utils\get_flag_value($assoc, 'disable-source', false));
        if (is_wp_error($r) && $r->get_error_code() === 'multisite_webhooks_no_source') {
            // Nothing to migrate is not a failure: a provisioning script may run this on every network.
            \WP_CLI::success('Nothing to import: ' . $r->get_error_message());
            return;
        }
        if (is_wp_error($r)) {
            \WP_CLI::error($r->get_error_message());
        }
        foreach ($r['imported'] as $i) {
            \WP_CLI::log(sprintf('Imported Ultimate Multisite webhook %d as webhook %d (%s).', $i['source_id'], $i['id'], $i['name']));
        }
        foreach ($r['skipped'] as $s) {
            \WP_CLI::warning(sprintf('Skipped Ultimate Multisite webhook %d: %s', $s['source_id'], $s['reason']));
        }
        \WP_CLI::success(sprintf(
            'Imported %d, already imported %d, skipped %d; disabled %d source rows.',
            count($r['imported']),
            $r['already'],
            count($r['skipped']),
            $r['disabled']
        ));
    }

    /**
     * Webhooks with what the engine knows of their endpoint: `parked`, the deliveries waiting
     * because it is unreachable (its circuit is open), and `next_probe_at` (UTC), when the
     * engine tries it again; 0 and null while it answers.
     *
     * @param list<array<string, mixed>> $hooks
     * @return list<array<string, mixed>>
     */
    private function withCircuit(array $hooks): array
    {
        $parked = [];
        if ($this->plugin->engine()->delivers()) {
            try {
                $parked = Output::parked($this->plugin->engine()->stats());
            } catch (\Throwable $e) {
                $parked = []; // The figures are a courtesy: the webhook is shown anyway.
            }
        }
        foreach ($hooks as $i => $h) {
            $hooks[$i]['parked'] = $parked[(string) $h['id']]['waiting'] ?? 0;
            $hooks[$i]['next_probe_at'] = $parked[(string) $h['id']]['next_probe_at'] ?? null;
        }
        return $hooks;
    }

    /**
     * The webhook with this id, or a WP-CLI error (Fetcher).
     *
     * @param mixed $id
     * @return array<string, mixed>
     */
    private function hook($id): array
    {
        return (new Fetcher($this->plugin))->webhook($id);
    }

    /**
     * Creates (`$id` null) or updates a webhook from assoc args through the plugin's one save
     * path, or stops with a WP-CLI error naming every problem.
     *
     * @param array<string, mixed> $assoc
     * @return array{id:int, secret:?string, url_checked:bool}
     */
    private function saved(?int $id, array $assoc): array
    {
        $data = [];
        foreach (self::EDITABLE as $arg => $field) {
            if (!array_key_exists($arg, $assoc)) {
                continue;
            }
            if ($field === 'active' || $field === 'hidden') {
                $data[$field] = self::flag($assoc[$arg], $arg);
            } elseif ($field === 'headers') {
                $headers = is_string($assoc[$arg]) ? json_decode($assoc[$arg]) : null;
                if (!is_object($headers)) {
                    \WP_CLI::error('--headers is a JSON object of header names and values, e.g. --headers=\'{"Authorization":"Bearer abc"}\'. Nothing was changed.');
                }
                $data[$field] = $headers;
            } else {
                $data[$field] = $assoc[$arg] === true ? '' : (string) $assoc[$arg];
            }
        }
        if (isset($data['events'])) {
            $data['events'] = array_values(array_filter(array_map('trim', explode(',', (string) $data['events'])), 'strlen'));
        }
        $saved = $this->plugin->operations()->saveWebhook($id, $data);
        if (is_wp_error($saved)) {
            \WP_CLI::error(implode(' ', $saved->get_error_messages()) . ' Nothing was changed.');
        }
        $stored = isset($data['integration']) ? (string) ($this->plugin->webhooks()->get((int) ($saved['id'] ?? $id))['integration'] ?? '') : '';
        if (isset($data['integration']) && $data['integration'] !== '' && $stored !== $data['integration']) {
            \WP_CLI::warning(sprintf(
                'The integration "%s" was saved as "%s": integration names are lower-case letters, digits, "_" and "-".',
                $data['integration'],
                $stored
            ));
        }
        if (!$saved['url_checked']) {
            \WP_CLI::warning(
                'The address was saved without the engine\'s address check (no engine in this PHP process); the first process with the engine checks it and turns the webhook off if it is refused.'
            );
        }
        return $saved;
    }

    /**
     * A 0/1 option value, or a WP-CLI error.
     *
     * @param mixed $value
     */
    private static function flag($value, string $name): bool
    {
        if ($value === true) {
            return true;
        }
        $b = filter_var($value, FILTER_VALIDATE_BOOLEAN, FILTER_NULL_ON_FAILURE);
        if ($b === null) {
            \WP_CLI::error(sprintf('--%s is 0 or 1, not "%s".', $name, (string) $value));
        }
        return $b;
    }
}
