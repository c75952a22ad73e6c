<?php
/**
 * Copies Ultimate Multisite's webhooks (`{base_prefix}wu_webhooks`) into this plugin's table.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Store\Schema;

/**
 * Idempotent import: a source row whose id is already some webhook's `migrated_from_id` is
 * not copied again.
 */
final class UltimateMultisiteImport
{
    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Ultimate Multisite's webhooks table.
     */
    public static function sourceTable(): string
    {
        global $wpdb;
        return $wpdb->base_prefix . 'wu_webhooks';
    }

    /**
     * Imports one source row (unless it was imported before, or cannot be) and returns the
     * id of the webhook that stands for it here, 0 when there is none. For a webhook saved in
     * Ultimate Multisite after the take-over, and for its Send Test.
     */
    public function importOne(int $sourceId): int
    {
        global $wpdb;
        $mine = (int) $wpdb->get_var($wpdb->prepare('SELECT id FROM ' . Schema::table('webhooks') . ' WHERE migrated_from_id = %d ORDER BY id LIMIT 1', $sourceId)); // SQL safe: table name only.
        if ($mine > 0 || $sourceId <= 0) {
            return $mine;
        }
        $row = $wpdb->get_row($wpdb->prepare('SELECT * FROM `' . esc_sql(self::sourceTable()) . '` WHERE id = %d', $sourceId), ARRAY_A); // SQL safe: table name only.
        if (!is_array($row)) {
            return 0;
        }
        $out = ['imported' => [], 'skipped' => []];
        $this->importRow($row, $out);
        return (int) ($out['imported'][0]['id'] ?? 0);
    }

    /**
     * What an import would do with each source row, without saving anything: `action` is
     * `import` (with `active` as it will be), `already` (with our `id`) or `skip` (with the
     * `reason`, in the same words as a real import). An empty list when there is no source.
     *
     * @return list<array<string, mixed>>
     */
    public function preview(): array
    {
        global $wpdb;
        $source = self::sourceTable();
        if ($wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($source))) !== $source) {
            return [];
        }
        $mine = [];
        foreach ((array) $wpdb->get_results('SELECT id, migrated_from_id FROM ' . Schema::table('webhooks') . ' WHERE migrated_from_id > 0', ARRAY_A) as $r) { // SQL safe: table name only.
            $mine[(int) $r['migrated_from_id']] = (int) $r['id'];
        }
        $out = [];
        foreach ((array) $wpdb->get_results('SELECT * FROM `' . esc_sql($source) . '` ORDER BY id ASC', ARRAY_A) as $row) { // SQL safe: table name only.
            $sourceId = (int) ($row['id'] ?? 0);
            $item = ['source_id' => $sourceId, 'name' => (string) ($row['name'] ?? ''), 'webhook_url' => (string) ($row['webhook_url'] ?? ''),
                'event' => (string) ($row['event'] ?? ''), 'active' => (bool) (int) ($row['active'] ?? 0), 'hidden' => (bool) (int) ($row['hidden'] ?? 0)];
            if (isset($mine[$sourceId])) {
                $out[] = $item + ['action' => 'already', 'id' => $mine[$sourceId]];
                continue;
            }
            $reason = $this->problem($row);
            $out[] = $item + ($reason === null ? ['action' => 'import'] : ['action' => 'skip', 'reason' => $reason]);
        }
        return $out;
    }

    /**
     * How many source rows are not imported yet (0 without a source table). One query: it
     * runs on every network admin page (the notice), so it judges no URL.
     */
    public function waiting(): int
    {
        global $wpdb;
        $source = self::sourceTable();
        if ($wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($source))) !== $source) {
            return 0;
        }
        return (int) $wpdb->get_var(
            'SELECT COUNT(*) FROM `' . esc_sql($source) . '` s WHERE NOT EXISTS (SELECT 1 FROM ' . Schema::table('webhooks') . ' w WHERE w.migrated_from_id = s.id)'
        ); // SQL safe: table names only.
    }

    /**
     * Why a source row cannot be imported (the same checks as every save), or null.
     *
     * @param array<string, mixed> $row
     */
    private function problem(array $row): ?string
    {
        $event = trim((string) ($row['event'] ?? ''));
        if (!$this->plugin->catalog()->has($event)) {
            return sprintf(__('this network has no event "%s" (is the plugin that raises it active?).', 'multisite-webhooks'), $event);
        }
        $fields = $this->plugin->operations()->validateWebhook($this->fieldsOf($row), false);
        return is_wp_error($fields) ? implode(' ', $fields->get_error_messages()) : null;
    }

    /**
     * A source row as the fields of a webhook here.
     *
     * @param array<string, mixed> $row
     * @return array<string, mixed>
     */
    private function fieldsOf(array $row): array
    {
        $sourceId = (int) ($row['id'] ?? 0);
        $name = trim((string) ($row['name'] ?? ''));
        return [
            'name' => mb_strlen($name) >= 2 ? $name : sprintf('Ultimate Multisite webhook %d', $sourceId),
            'webhook_url' => (string) ($row['webhook_url'] ?? ''),
            'events' => [trim((string) ($row['event'] ?? ''))],
            'active' => (int) ($row['active'] ?? 0),
            'hidden' => (int) ($row['hidden'] ?? 0),
            'integration' => (string) ($row['integration'] ?? '') !== '' ? (string) $row['integration'] : 'manual',
            'migrated_from_id' => $sourceId,
        ];
    }

    /**
     * Imports every source row not imported before.
     *
     * @param bool $disableSource Set `active` = 0 on source rows that are imported (now or before).
     * @return array{imported:list<array{source_id:int,id:int,name:string}>, already:int, skipped:list<array{source_id:int,reason:string}>, disabled:int}|\WP_Error
     */
    public function run(bool $disableSource)
    {
        global $wpdb;
        $source = self::sourceTable();
        if ($wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($source))) !== $source) {
            return new \WP_Error('multisite_webhooks_no_source', sprintf(
                'There is no table %s: Ultimate Multisite has no webhooks on this network (nothing to import).',
                $source
            ));
        }
        $rows = $wpdb->get_results('SELECT * FROM `' . esc_sql($source) . '` ORDER BY id ASC', ARRAY_A); // SQL safe: table name only.
        if (!is_array($rows)) {
            return new \WP_Error('multisite_webhooks_source_unreadable', sprintf('Could not read %s: %s', $source, $wpdb->last_error));
        }
        $done = array_map('intval', (array) $wpdb->get_col('SELECT migrated_from_id FROM ' . Schema::table('webhooks') . ' WHERE migrated_from_id > 0')); // SQL safe: table name only.
        $done = array_flip($done);
        $out = ['imported' => [], 'already' => 0, 'skipped' => [], 'disabled' => 0];
        $toDisable = [];
        foreach ($rows as $row) {
            $sourceId = (int) ($row['id'] ?? 0);
            if ($sourceId <= 0) {
                continue;
            }
            if (isset($done[$sourceId])) {
                $out['already']++;
                $toDisable[] = $sourceId;
                continue;
            }
            if ($this->importRow($row, $out)) {
                $done[$sourceId] = true;
                $toDisable[] = $sourceId;
            }
        }
        if ($disableSource) {
            foreach ($toDisable as $sourceId) {
                $n = $wpdb->query($wpdb->prepare('UPDATE `' . esc_sql($source) . '` SET active = 0 WHERE id = %d AND active <> 0', $sourceId)); // SQL safe: table name only.
                $out['disabled'] += (int) $n;
            }
        }
        // From now on this plugin is the one sender: Ultimate Multisite's own is taken out on
        // every request, and webhooks saved there are imported at once.
        update_site_option(Options::UM_TAKEOVER, 1);
        return $out;
    }

    /**
     * Imports one source row through the plugin's one save path; records the outcome in
     * `$out['imported']` or `$out['skipped']`. Returns whether it was imported.
     *
     * @param array<string, mixed> $row A row of the source table.
     * @param array<string, mixed> $out
     */
    private function importRow(array $row, array &$out): bool
    {
        $sourceId = (int) ($row['id'] ?? 0);
        $catalog = $this->plugin->catalog();
        $event = trim((string) ($row['event'] ?? ''));
        if (!$catalog->has($event)) {
            $out['skipped'][] = ['source_id' => $sourceId, 'reason' => sprintf(__('this network has no event "%s" (is the plugin that raises it active?).', 'multisite-webhooks'), $event)];
            return false;
        }
        // The same rules as every other save: the engine's URL rule, the SSRF verdict.
        $created = $this->plugin->operations()->saveWebhook(null, $this->fieldsOf($row));
        if (is_wp_error($created)) {
            $out['skipped'][] = ['source_id' => $sourceId, 'reason' => implode(' ', $created->get_error_messages())];
            return false;
        }
        $count = (int) ($row['event_count'] ?? 0);
        if ($count > 0) {
            $this->plugin->webhooks()->addCounts($created['id'], $count, 0, null, null, null);
        }
        $out['imported'][] = ['source_id' => $sourceId, 'id' => $created['id'], 'name' => (string) ($this->plugin->webhooks()->get($created['id'])['name'] ?? '')];
        return true;
    }
}
