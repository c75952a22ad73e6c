<?php
/**
 * The webhooks table: a superset of Ultimate Multisite's columns, plus events, secrets,
 * payload format, failure count and the reason an endpoint was disabled.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Store;

use MultisiteWebhooks\HeaderRule;
use MultisiteWebhooks\MaskedUrl;
use MultisiteWebhooks\Messages;
use MultisiteWebhooks\Options;
use MultisiteWebhooks\UrlRule;

/**
 * Webhook records, validation, and the endpoint snapshot given to the engine.
 */
final class Webhooks
{
    /** Seconds a rotated-out secret keeps signing. */
    public const ROTATION_GRACE = DAY_IN_SECONDS;

    /** Payload formats. */
    public const FORMATS = ['flat', 'envelope'];

    /** A webhook's states: receives events, turned off, turned off by the engine. */
    public const STATUSES = ['active', 'inactive', 'disabled'];

    /** Columns a list can be sorted by (admin table, REST `orderby`). */
    public const ORDERBY = ['id', 'name', 'webhook_url', 'event', 'event_count', 'failure_count', 'active', 'date_created', 'date_modified', 'date_last_delivery'];

    /** Columns a caller may set. */
    private const FIELDS = ['name', 'webhook_url', 'events', 'headers', 'active', 'hidden', 'integration', 'payload_format', 'migrated_from_id', 'url_checked'];

    /**
     * A new signing secret: `whsec_` + base64 of 32 random bytes.
     */
    public static function newSecret(): string
    {
        return 'whsec_' . base64_encode(random_bytes(32));
    }

    /**
     * The version of the webhook configuration (0 = never configured).
     */
    public function configVersion(): int
    {
        return (int) get_site_option(Options::CONFIG_VERSION, 0);
    }

    /**
     * Marks the configuration changed, so every process and server re-reads it.
     */
    public function bumpVersion(): int
    {
        $next = max($this->configVersion() + 1, (int) floor(microtime(true) * 1000));
        update_site_option(Options::CONFIG_VERSION, $next);
        /**
         * Fires when anything the engine needs about the webhooks changed.
         *
         * @since 0.1.0
         *
         * @param int $next The new configuration version.
         */
        do_action('multisite_webhooks_config_changed', $next);
        return $next;
    }

    /**
     * Checks and normalises fields for create (`$partial` false) or update (true).
     *
     * The URL is checked with the engine's own rule (UrlRule), a host in another script
     * converted to its xn-- form. An event slug must be known — or already be one the webhook
     * hears (`$kept`): a subscription to an event whose source is not loaded right now
     * (Ultimate Multisite inactive, custom code not registered in this request) is kept.
     *
     * @param array<string, mixed> $data
     * @param callable(string):bool $eventExists Whether an event slug is known.
     * @param list<string>          $kept        Events the webhook already hears.
     * @return array<string, mixed>|\WP_Error Normalised fields, or errors keyed by field.
     */
    public function validate(array $data, bool $partial, callable $eventExists, array $kept = [])
    {
        $errors = new \WP_Error();
        $out = [];
        if (!$partial || array_key_exists('name', $data)) {
            // Plain text, kept as written (escaped wherever it is shown); control characters become spaces.
            $name = trim((string) preg_replace('/[\x00-\x1F\x7F]+/u', ' ', (string) ($data['name'] ?? '')));
            if (mb_strlen($name) < 2) {
                $errors->add('name', __('Give the webhook a name of at least 2 characters.', 'multisite-webhooks'));
            } elseif (mb_strlen($name) > 191) {
                $errors->add('name', __('The name is longer than 191 characters.', 'multisite-webhooks'));
            }
            $out['name'] = $name;
        }
        if (!$partial || array_key_exists('webhook_url', $data)) {
            [$url, $code] = UrlRule::normalize((string) ($data['webhook_url'] ?? ''));
            if ($code !== null) {
                $errors->add('webhook_url', Messages::url($code), ['code' => $code]);
            }
            $out['webhook_url'] = $url;
        }
        if (!$partial || array_key_exists('events', $data) || array_key_exists('event', $data)) {
            $events = $data['events'] ?? ($data['event'] ?? []);
            if (is_string($events)) {
                $events = array_filter(array_map('trim', explode(',', $events)));
            }
            $events = array_values(array_unique(array_map('strval', (array) $events)));
            if ($events === []) {
                $errors->add('events', __('Choose at least one event.', 'multisite-webhooks'));
            }
            foreach ($events as $e) {
                if ($e !== '*' && !$eventExists($e) && !in_array($e, $kept, true)) {
                    /* translators: %s: event slug */
                    $errors->add('events', sprintf(__('There is no event called "%s".', 'multisite-webhooks'), $e));
                }
            }
            $out['events'] = $events;
        }
        if (array_key_exists('headers', $data)) {
            $headers = self::headersOf($data['headers']);
            $problem = $headers === null ? ['why' => 'shape', 'name' => ''] : HeaderRule::check($headers);
            if ($problem !== null) {
                $errors->add('headers', Messages::header($problem['why'], $problem['name']), ['code' => $problem['code'] ?? 'bad_field']);
            }
            $out['headers'] = $headers ?? [];
        }
        if (array_key_exists('payload_format', $data) || !$partial) {
            $format = (string) ($data['payload_format'] ?? 'flat');
            if (!in_array($format, self::FORMATS, true)) {
                $errors->add('payload_format', __('The payload format is "flat" or "envelope".', 'multisite-webhooks'));
            }
            $out['payload_format'] = $format;
        }
        foreach (['active', 'hidden'] as $flag) {
            if (array_key_exists($flag, $data)) {
                $out[$flag] = filter_var($data[$flag], FILTER_VALIDATE_BOOLEAN) ? 1 : 0;
            } elseif (!$partial) {
                $out[$flag] = $flag === 'active' ? 1 : 0;
            }
        }
        if (array_key_exists('integration', $data) || !$partial) {
            $integration = sanitize_key((string) ($data['integration'] ?? 'manual'));
            $out['integration'] = $integration === '' ? 'manual' : $integration;
        }
        if (array_key_exists('migrated_from_id', $data)) {
            $out['migrated_from_id'] = max(0, (int) $data['migrated_from_id']);
        }
        return $errors->has_errors() ? $errors : $out;
    }

    /**
     * Creates a webhook from validated fields; returns its id and its secret (shown once).
     *
     * @param array<string, mixed> $fields Output of validate().
     * @return array{id:int, secret:string}
     */
    public function create(array $fields): array
    {
        global $wpdb;
        $ms = self::nowMs();
        $now = gmdate('Y-m-d H:i:s', intdiv($ms, 1000));
        $secret = self::newSecret();
        $row = [
            'name' => $fields['name'],
            'webhook_url' => $fields['webhook_url'],
            'event' => (string) ($fields['events'][0] ?? ''),
            'events' => (string) wp_json_encode(array_values($fields['events'])),
            'active' => (int) ($fields['active'] ?? 1),
            'hidden' => (int) ($fields['hidden'] ?? 0),
            'integration' => (string) ($fields['integration'] ?? 'manual'),
            'payload_format' => (string) ($fields['payload_format'] ?? 'flat'),
            'migrated_from_id' => (int) ($fields['migrated_from_id'] ?? 0),
            'url_checked' => (int) ($fields['url_checked'] ?? 1),
            'secrets' => (string) wp_json_encode([['secret' => $secret, 'created' => time(), 'expires' => null]]),
            'headers' => self::encodeHeaders($fields['headers'] ?? []),
            'revision' => 1,
            'date_created' => $now,
            'date_modified' => $now,
            'date_activated' => $now,
            'activated_ms' => $ms,
        ];
        $wpdb->insert(Schema::table('webhooks'), $row);
        $id = (int) $wpdb->insert_id;
        $this->bumpVersion();
        /**
         * Fires after a webhook is created.
         *
         * @since 0.1.0
         *
         * @param int   $id     Webhook id.
         * @param array $fields Its fields.
         */
        do_action('multisite_webhooks_webhook_created', $id, $fields);
        return ['id' => $id, 'secret' => $secret];
    }

    /**
     * Updates a webhook with validated fields; it starts a new revision. A webhook the engine
     * disabled (410 Gone, failing for days, address refused) stays disabled through any other
     * change (a rename, a new URL): only `active => 1` given explicitly turns it on again.
     *
     * @param array<string, mixed> $fields Output of validate(..., true).
     */
    public function update(int $id, array $fields): bool
    {
        global $wpdb;
        $old = $this->get($id);
        $row = [];
        foreach (self::FIELDS as $f) {
            if (!array_key_exists($f, $fields)) {
                continue;
            }
            if ($f === 'events') {
                $row['events'] = (string) wp_json_encode(array_values($fields['events']));
                $row['event'] = (string) ($fields['events'][0] ?? '');
            } elseif ($f === 'headers') {
                $row['headers'] = self::encodeHeaders($fields['headers']);
            } else {
                $row[$f] = $fields[$f];
            }
        }
        $row['date_modified'] = gmdate('Y-m-d H:i:s');
        // Only an explicit "turn it on" clears the reason the engine disabled it.
        $turnsOn = array_key_exists('active', $fields) && (bool) $fields['active'];
        if ($turnsOn) {
            $row['disabled_reason'] = null;
            $row['disabled_kind'] = null;
            $row['date_disabled'] = null;
        }
        // Turned (back) on: it hears events from now on, not the ones raised while it was off.
        $wasOn = $old !== null && $old['active'] && $old['disabled_reason'] === '';
        $isOn = $turnsOn || (!array_key_exists('active', $fields) && $wasOn);
        if ($isOn && !$wasOn) {
            $ms = self::nowMs();
            $row['date_activated'] = gmdate('Y-m-d H:i:s', intdiv($ms, 1000));
            $row['activated_ms'] = $ms;
        }
        $ok = $wpdb->update(Schema::table('webhooks'), $row, ['id' => $id]);
        $wpdb->query($wpdb->prepare('UPDATE ' . Schema::table('webhooks') . ' SET revision = revision + 1 WHERE id = %d', $id)); // SQL safe: table name only.
        $this->bumpVersion();
        do_action('multisite_webhooks_webhook_updated', $id, $fields);
        return $ok !== false;
    }

    /**
     * Deletes a webhook (its delivery log stays until it ages out).
     */
    public function delete(int $id): bool
    {
        global $wpdb;
        $ok = (bool) $wpdb->delete(Schema::table('webhooks'), ['id' => $id], ['%d']);
        if ($ok) {
            $this->bumpVersion();
            do_action('multisite_webhooks_webhook_deleted', $id);
        }
        return $ok;
    }

    /**
     * One webhook as an array, or null. Its credentials — secrets, the values of its own
     * headers, credentials in its URL — only when asked for (`$withSecrets`): otherwise the
     * secrets are left out and the rest masked (MaskedUrl::MASK), as every list, log, REST
     * read and CLI view shows them.
     *
     * @return array<string, mixed>|null
     */
    public function get(int $id, bool $withSecrets = false): ?array
    {
        global $wpdb;
        $row = $wpdb->get_row($wpdb->prepare('SELECT * FROM ' . Schema::table('webhooks') . ' WHERE id = %d', $id), ARRAY_A); // SQL safe: table name only.
        return $row ? self::shape($row, $withSecrets) : null;
    }

    /**
     * Webhooks matching `$args` (search, event, status, active, integration, orderby, order,
     * per_page, page).
     *
     * @param array<string, mixed> $args
     * @return list<array<string, mixed>>
     */
    public function list(array $args = []): array
    {
        global $wpdb;
        [$where, $params] = $this->where($args);
        $orderby = in_array($args['orderby'] ?? '', self::ORDERBY, true) ? $args['orderby'] : 'id';
        $order = strtoupper((string) ($args['order'] ?? 'ASC')) === 'DESC' ? 'DESC' : 'ASC';
        $per = max(1, min(1000, (int) ($args['per_page'] ?? 1000)));
        $offset = max(0, ((int) ($args['page'] ?? 1) - 1) * $per);
        $sql = 'SELECT * FROM ' . Schema::table('webhooks') . " WHERE {$where} ORDER BY {$orderby} {$order}, id ASC LIMIT %d OFFSET %d";
        $rows = $wpdb->get_results($wpdb->prepare($sql, array_merge($params, [$per, $offset])), ARRAY_A); // SQL safe: built from allow-listed parts.
        return array_map(static fn (array $r): array => self::shape($r, false), (array) $rows);
    }

    /**
     * How many webhooks match `$args` (same filters as list()).
     *
     * @param array<string, mixed> $args
     */
    public function count(array $args = []): int
    {
        global $wpdb;
        [$where, $params] = $this->where($args);
        $sql = 'SELECT COUNT(*) FROM ' . Schema::table('webhooks') . " WHERE {$where}";
        return (int) $wpdb->get_var($params ? $wpdb->prepare($sql, $params) : $sql); // SQL safe: built from allow-listed parts.
    }

    /**
     * @param array<string, mixed> $args
     * @return array{0:string,1:list<mixed>}
     */
    private function where(array $args): array
    {
        global $wpdb;
        $where = ['1=1'];
        $params = [];
        if (!empty($args['search'])) {
            $like = '%' . $wpdb->esc_like((string) $args['search']) . '%';
            $where[] = '(name LIKE %s OR webhook_url LIKE %s OR events LIKE %s OR integration LIKE %s)';
            array_push($params, $like, $like, $like, $like);
        }
        if (!empty($args['event'])) {
            // Those that receive the event: subscribed to it, or to every event.
            $where[] = '(events LIKE %s OR events LIKE %s)';
            $params[] = '%' . $wpdb->esc_like('"' . $args['event'] . '"') . '%';
            $params[] = '%' . $wpdb->esc_like('"*"') . '%';
        }
        if (isset($args['status']) && in_array($args['status'], self::STATUSES, true)) {
            $where[] = [
                'active' => "active = 1 AND COALESCE(disabled_reason, '') = ''",
                'inactive' => "active = 0 AND COALESCE(disabled_reason, '') = ''",
                'disabled' => "COALESCE(disabled_reason, '') <> ''",
            ][$args['status']];
        }
        if (isset($args['active']) && $args['active'] !== '') {
            $where[] = 'active = %d';
            $params[] = filter_var($args['active'], FILTER_VALIDATE_BOOLEAN) ? 1 : 0;
        }
        if (!empty($args['integration'])) {
            $where[] = 'integration = %s';
            $params[] = (string) $args['integration'];
        }
        if (isset($args['hidden']) && $args['hidden'] !== '') {
            $where[] = 'hidden = %d';
            $params[] = filter_var($args['hidden'], FILTER_VALIDATE_BOOLEAN) ? 1 : 0;
        }
        return [implode(' AND ', $where), $params];
    }

    /**
     * A row as the rest of the plugin sees it.
     *
     * @param array<string, mixed> $row
     * @return array<string, mixed>
     */
    private static function shape(array $row, bool $withSecrets): array
    {
        unset($row['activated_ms']); // the engine's since_ms; date_activated is what people read
        $events = json_decode((string) ($row['events'] ?? '[]'), true);
        $row['events'] = is_array($events) ? array_values(array_map('strval', $events)) : [];
        foreach (['id', 'migrated_from_id', 'event_count', 'failure_count', 'revision'] as $int) {
            $row[$int] = (int) ($row[$int] ?? 0);
        }
        $row['active'] = (bool) (int) $row['active'];
        $row['hidden'] = (bool) (int) $row['hidden'];
        $row['disabled_reason'] = (string) ($row['disabled_reason'] ?? '');
        $row['disabled_kind'] = (string) ($row['disabled_kind'] ?? '');
        $row['url_checked'] = (bool) (int) ($row['url_checked'] ?? 1);
        $row['status'] = $row['disabled_reason'] !== '' ? 'disabled' : ($row['active'] ? 'active' : 'inactive');
        $secrets = json_decode((string) ($row['secrets'] ?? '[]'), true);
        $secrets = is_array($secrets) ? $secrets : [];
        unset($row['secrets']);
        if ($withSecrets) {
            $row['secrets'] = $secrets;
        }
        $row['secret_rotating'] = count($secrets) > 1;
        $headers = self::headersOf(json_decode((string) ($row['headers'] ?? ''), true) ?? []) ?? [];
        $row['webhook_url'] = $withSecrets ? (string) $row['webhook_url'] : MaskedUrl::of((string) $row['webhook_url']);
        $row['headers'] = $withSecrets ? $headers : array_map(static fn (): string => MaskedUrl::MASK, $headers);
        return $row;
    }

    /**
     * `$data` (fields to save) with what a reader was shown masked given back as it is
     * stored: a URL equal to the masked form of the stored one is the stored one, and a
     * header value given as MaskedUrl::MASK (or left empty in a form) keeps the stored value
     * of that header. So a REST client or a form that writes back what it read changes nothing.
     *
     * @param array<string, mixed> $data
     * @param array<string, mixed> $stored The webhook as get($id, true) returns it.
     * @return array<string, mixed>
     */
    public static function unmask(array $data, array $stored): array
    {
        $url = (string) ($stored['webhook_url'] ?? '');
        if (isset($data['webhook_url']) && is_string($data['webhook_url']) && MaskedUrl::hasCredentials($url) && trim($data['webhook_url']) === MaskedUrl::of($url)) {
            $data['webhook_url'] = $url;
        }
        $given = array_key_exists('headers', $data) ? self::headersOf($data['headers']) : null;
        if ($given !== null) {
            $kept = (array) ($stored['headers'] ?? []);
            foreach ($given as $name => $value) {
                if (($value === MaskedUrl::MASK || $value === '') && isset($kept[$name])) {
                    $given[$name] = $kept[$name];
                }
            }
            $data['headers'] = $given;
        }
        return $data;
    }

    /**
     * Headers given as an object or array of name => string value (REST, CLI JSON, stored),
     * or as a list of `{name, value}` rows (the Edit form; rows without a name are dropped);
     * null when it is neither.
     *
     * @param mixed $given
     * @return array<string, string>|null
     */
    public static function headersOf($given): ?array
    {
        if (is_object($given)) {
            $given = get_object_vars($given);
        }
        if (!is_array($given)) {
            return null;
        }
        $out = [];
        foreach ($given as $name => $value) {
            if (is_array($value) && array_key_exists('name', $value)) {
                $name = trim((string) $value['name']);
                $value = $value['value'] ?? '';
                if ($name === '') {
                    continue;
                }
            }
            if (!is_string($value) && !is_int($value)) {
                return null;
            }
            $out[(string) $name] = (string) $value;
        }
        return $out;
    }

    /**
     * @param array<string, string> $headers
     */
    private static function encodeHeaders(array $headers): string
    {
        return $headers === [] ? '' : (string) wp_json_encode((object) $headers, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }

    /**
     * Starts signing with a new secret; the old one keeps signing for 24 hours. Returns the
     * new secret (shown once).
     */
    public function rotateSecret(int $id): ?string
    {
        global $wpdb;
        $hook = $this->get($id, true);
        if ($hook === null) {
            return null;
        }
        $now = time();
        $keep = [];
        foreach ($hook['secrets'] as $s) {
            if (self::isActiveSecret($s, $now)) {
                $s['expires'] = min((int) ($s['expires'] ?: PHP_INT_MAX), $now + self::ROTATION_GRACE);
                $keep[] = $s;
            }
        }
        $secret = self::newSecret();
        array_unshift($keep, ['secret' => $secret, 'created' => $now, 'expires' => null]);
        $wpdb->update(Schema::table('webhooks'), ['secrets' => wp_json_encode($keep), 'date_modified' => gmdate('Y-m-d H:i:s')], ['id' => $id]);
        $this->bumpVersion();
        return $secret;
    }

    /**
     * Drops secrets past their grace period; returns whether any was dropped.
     */
    public function expireSecrets(): bool
    {
        global $wpdb;
        $rows = $wpdb->get_results('SELECT id, secrets FROM ' . Schema::table('webhooks') . " WHERE secrets LIKE '%\"expires\":1%'", ARRAY_A); // SQL safe: constant query.
        $changed = false;
        foreach ((array) $rows as $r) {
            $secrets = (array) json_decode((string) $r['secrets'], true);
            $keep = array_values(array_filter($secrets, [self::class, 'isActiveSecret']));
            if (count($keep) !== count($secrets)) {
                $wpdb->update(Schema::table('webhooks'), ['secrets' => wp_json_encode($keep)], ['id' => (int) $r['id']]);
                $changed = true;
            }
        }
        if ($changed) {
            $this->bumpVersion();
        }
        return $changed;
    }

    /**
     * Records that a webhook was disabled, why (the engine's words) and of what kind
     * (`gone`, `failing`, `ssrf_refused`, … — Messages turns it into a sentence).
     */
    public function markDisabled(int $id, string $reason, string $kind = ''): void
    {
        global $wpdb;
        $wpdb->update(Schema::table('webhooks'), ['disabled_reason' => $reason, 'disabled_kind' => $kind === '' ? null : $kind, 'date_disabled' => gmdate('Y-m-d H:i:s')], ['id' => $id]);
        $this->bumpVersion();
        /**
         * Fires when a webhook is disabled because its endpoint answered 410 Gone or failed
         * continuously for days.
         *
         * @since 0.1.0
         *
         * @param int    $id     Webhook id.
         * @param string $reason Why.
         */
        do_action('multisite_webhooks_webhook_disabled', $id, $reason);
    }

    /**
     * Webhooks saved where no engine could judge their address (degraded mode).
     *
     * @return list<array<string, mixed>>
     */
    public function unchecked(): array
    {
        global $wpdb;
        $rows = $wpdb->get_results('SELECT * FROM ' . Schema::table('webhooks') . ' WHERE url_checked = 0 LIMIT 100', ARRAY_A); // SQL safe: table name only.
        return array_map(static fn (array $r): array => self::shape($r, false), (array) $rows);
    }

    /**
     * Records that an engine judged the webhook's address.
     */
    public function markChecked(int $id): void
    {
        global $wpdb;
        $wpdb->update(Schema::table('webhooks'), ['url_checked' => 1], ['id' => $id]);
    }

    /**
     * Adds delivery figures from imported attempts.
     */
    public function addCounts(int $id, int $sent, int $failures, ?string $lastFailed, ?string $lastDelivery, ?string $lastStatus): void
    {
        global $wpdb;
        $sql = 'UPDATE ' . Schema::table('webhooks') . ' SET event_count = event_count + %d, failure_count = failure_count + %d';
        $params = [$sent, $failures];
        if ($lastFailed !== null) {
            $sql .= ', date_last_failed = GREATEST(COALESCE(date_last_failed, %s), %s)';
            array_push($params, $lastFailed, $lastFailed);
        }
        if ($lastDelivery !== null) {
            $sql .= ', date_last_delivery = GREATEST(COALESCE(date_last_delivery, %s), %s), last_status = %s';
            array_push($params, $lastDelivery, $lastDelivery, (string) $lastStatus);
        }
        $sql .= ' WHERE id = %d';
        $params[] = $id;
        $wpdb->query($wpdb->prepare($sql, $params)); // SQL safe: table name only.
    }

    /**
     * The secrets that sign now (newest first): those not past their rotation grace.
     *
     * @param array<mixed> $secrets A webhook's `secrets` (get(…, true)).
     * @return list<string>
     */
    public static function activeSecrets(array $secrets, ?int $now = null): array
    {
        $out = [];
        foreach ($secrets as $s) {
            if (self::isActiveSecret($s, $now)) {
                $out[] = (string) $s['secret'];
            }
        }
        return $out;
    }

    /**
     * Whether one entry of a webhook's `secrets` signs at `$now` (default: now): a secret with
     * no expiry, or one still in its rotation grace. The one rule for the snapshot, rotation,
     * expiry, the admin and the REST answer.
     *
     * @param mixed $secret
     */
    public static function isActiveSecret($secret, ?int $now = null): bool
    {
        return is_array($secret) && !empty($secret['secret']) && (empty($secret['expires']) || (int) $secret['expires'] > ($now ?? time()));
    }

    /**
     * When the last rotated-out secret that still signs stops signing (Unix time), or null
     * when only the current one signs.
     *
     * @param array<mixed> $secrets A webhook's `secrets` (get(…, true)), newest first.
     */
    public static function previousValidUntil(array $secrets, ?int $now = null): ?int
    {
        $until = null;
        foreach (array_slice(array_values($secrets), 1) as $s) {
            if (self::isActiveSecret($s, $now) && !empty($s['expires'])) {
                $until = max((int) $until, (int) $s['expires']);
            }
        }
        return $until;
    }

    /**
     * The webhooks the engine gives `$event` to: on (as in snapshot()), not left out by the
     * engine (`$rejected` ids), hearing it by name or through `*` (the engine's rule).
     *
     * @param list<int> $rejected
     * @return list<array{id:int, name:string}>
     */
    public function listeners(string $event, array $rejected = []): array
    {
        $names = array_column($this->list(['per_page' => 1000]), 'name', 'id');
        $out = [];
        foreach ($this->snapshot()['endpoints'] as $e) {
            if ($e['active'] && !in_array($e['id'], $rejected, true) && (in_array($event, $e['events'], true) || in_array('*', $e['events'], true))) {
                $out[] = ['id' => $e['id'], 'name' => (string) ($names[$e['id']] ?? '')];
            }
        }
        return $out;
    }

    /** Milliseconds since the epoch. */
    private static function nowMs(): int
    {
        return (int) floor(microtime(true) * 1000);
    }

    /**
     * The endpoint snapshot for the engine: every webhook, with its signing secrets.
     *
     * @return array{version:int, endpoints:list<array<string,mixed>>}
     */
    public function snapshot(): array
    {
        global $wpdb;
        $rows = $wpdb->get_results('SELECT * FROM ' . Schema::table('webhooks'), ARRAY_A); // SQL safe: table name only.
        $now = time();
        $endpoints = [];
        foreach ((array) $rows as $r) {
            $events = json_decode((string) $r['events'], true);
            $secrets = self::activeSecrets((array) json_decode((string) $r['secrets'], true), $now);
            // Every row goes to the engine as it is: one it cannot use is left out there and
            // reported by id (Engine::configure()), never stopping the others.
            $endpoints[] = [
                'id' => (int) $r['id'],
                'url' => (string) $r['webhook_url'],
                'headers' => (object) (self::headersOf(json_decode((string) ($r['headers'] ?? ''), true) ?? []) ?? []),
                'events' => is_array($events) ? array_values(array_map('strval', $events)) : [],
                'secrets' => $secrets,
                'active' => (int) $r['active'] === 1 && (string) $r['disabled_reason'] === '',
                'format' => in_array($r['payload_format'], self::FORMATS, true) ? $r['payload_format'] : 'flat',
                'revision' => (int) $r['revision'],
                // Events raised before the webhook existed or was turned on are not for it: to the
                // millisecond (rows from before activated_ms: the second of date_activated).
                'since_ms' => (int) ($r['activated_ms'] ?? 0) > 0 ? (int) $r['activated_ms']
                    : 1000 * (int) strtotime(((string) (($r['date_activated'] ?? '') ?: ($r['date_created'] ?? '')) ?: '1970-01-01 00:00:00') . ' UTC'),
            ];
        }
        return ['version' => $this->configVersion(), 'endpoints' => $endpoints];
    }
}
