<?php
/**
 * Copies Ultimate Multisite's webhooks (`{base_prefix}wu_webhooks`) into this plugin's table.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

use MultisiteWebhooks\Plugin;
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
        $mine = (int) $wpdb->get_var($wpdb->prepare('SELECT id FROM ' . Schema::table('webhooks') . ' WHERE migrated_from_id = %d ORDER BY id LIMIT 1', $sourceId)); // phpcs:ignore WordPress.DB.PreparedSQL -- table name only.
        if ($mine > 0 || $sourceId <= 0) {
            return $mine;
        }
        $row = $wpdb->get_row($wpdb->prepare('SELECT * FROM `' . esc_sql(self::sourceTable()) . '` WHERE id = %d', $sourceId), ARRAY_A); // phpcs:ignore WordPress.DB.PreparedSQL -- table name only.
        if (!is_array($row)) {
            return 0;
        }
        $out = ['imported' => [], 'skipped' => []];
        $this->importRow($row, $out);
        return (int) ($out['imported'][0]['id'] ?? 0);
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
                'There is no table %s: Ultimate Multisite has no webhooks on this network (nothing to import).', $source));
        }
        $rows = $wpdb->get_results('SELECT * FROM `' . esc_sql($source) . '` ORDER BY id ASC', ARRAY_A); // phpcs:ignore WordPress.DB.PreparedSQL -- table name only.
        if (!is_array($rows)) {
            return new \WP_Error('multisite_webhooks_source_unreadable', sprintf('Could not read %s: %s', $source, $wpdb->last_error));
        }
        $done = array_map('intval', (array) $wpdb->get_col('SELECT migrated_from_id FROM ' . Schema::table('webhooks') . ' WHERE migrated_from_id > 0')); // phpcs:ignore WordPress.DB.PreparedSQL -- table name only.
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
                $n = $wpdb->query($wpdb->prepare('UPDATE `' . esc_sql($source) . '` SET active = 0 WHERE id = %d AND active <> 0', $sourceId)); // phpcs:ignore WordPress.DB.PreparedSQL -- table name only.
                $out['disabled'] += (int) $n;
            }
        }
        // From now on this plugin is the one sender: Ultimate Multisite's own is taken out on
        // every request, and webhooks saved there are imported at once.
        update_site_option(\MultisiteWebhooks\Events\UltimateMultisite::TAKEOVER_OPTION, 1);
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
            $out['skipped'][] = ['source_id' => $sourceId, 'reason' => sprintf('this network has no event "%s" (is the plugin that raises it active?).', $event)];
            return false;
        }
        $name = trim((string) ($row['name'] ?? ''));
        // The same rules as every other save: the engine's URL rule, the SSRF verdict.
        $created = $this->plugin->operations()->saveWebhook(null, [
            'name' => mb_strlen($name) >= 2 ? $name : sprintf('Ultimate Multisite webhook %d', $sourceId),
            'webhook_url' => (string) ($row['webhook_url'] ?? ''),
            'events' => [$event],
            'active' => (int) ($row['active'] ?? 0),
            'hidden' => (int) ($row['hidden'] ?? 0),
            'integration' => (string) ($row['integration'] ?? '') !== '' ? (string) $row['integration'] : 'manual',
            'migrated_from_id' => $sourceId,
        ]);
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
