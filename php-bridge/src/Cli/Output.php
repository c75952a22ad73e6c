<?php
/**
 * How the `wp webhook` commands print records: `--format` and `--fields` handled the same way
 * by every list and get.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

/**
 * Thin layer over `WP_CLI\Utils\format_items` that checks `--format` and `--fields` first, so
 * a typo is an error that says what is allowed instead of an empty table.
 */
final class Output
{
    /** Formats every list and get accepts. */
    public const FORMATS = ['table', 'json', 'csv', 'yaml', 'ids', 'count'];

    /** Formats every get accepts (one record: WP-CLI's display_item). */
    public const ITEM_FORMATS = ['table', 'json', 'csv', 'yaml'];

    /**
     * Says what happened to each awaited delivery (Operations::awaitDeliveries()), one line
     * each; returns how many were not delivered.
     *
     * @param list<array<string, mixed>> $awaited
     */
    public static function deliveries(array $awaited, float $seconds): int
    {
        $bad = 0;
        foreach ($awaited as $t) {
            $who = sprintf('Webhook %d%s', $t['webhook_id'], ($t['name'] ?? '') !== '' ? ' (' . $t['name'] . ')' : '');
            $a = $t['attempt'];
            if ($a === null) {
                $bad++;
                \WP_CLI::warning(sprintf(
                    '%s: not attempted within %s s; it stays queued (`wp webhook delivery list --webhook=%d` shows it once sent).',
                    $who,
                    rtrim(rtrim(sprintf('%.1f', $seconds), '0'), '.'),
                    $t['webhook_id']
                ));
                continue;
            }
            $answer = $a['status_code'] !== null ? (string) $a['status_code'] : (string) ($a['error_kind'] ?: 'no answer');
            if ($a['outcome'] === 'delivered') {
                \WP_CLI::log(sprintf('%s: delivered, %s in %d ms (delivery %d).', $who, $answer, $a['duration_ms'], $a['id']));
                continue;
            }
            $bad++;
            $why = trim($answer . ($a['error'] !== null && $a['error'] !== '' ? ': ' . $a['error'] : ''));
            if ($a['outcome'] === 'retrying') {
                \WP_CLI::warning(sprintf('%s: attempt %d failed (%s); next attempt at %s UTC (delivery %d).', $who, $a['attempt'], $why, (string) $a['next_attempt_at'], $a['id']));
            } else {
                \WP_CLI::warning(sprintf('%s: %s after attempt %d (%s) (delivery %d).', $who, $a['outcome'], $a['attempt'], $why, $a['id']));
            }
        }
        return $bad;
    }

    /**
     * Prints records.
     *
     * @param array<string, mixed>       $assoc         The command's assoc args (`format`, `fields`).
     * @param list<array<string, mixed>> $rows          The records.
     * @param list<string>               $defaultFields Fields shown without `--fields`.
     * @param list<string>               $allFields     Every field `--fields` may name.
     */
    public static function items(array $assoc, array $rows, array $defaultFields, array $allFields): void
    {
        $format = self::format($assoc);
        $fields = self::fields($assoc, $defaultFields, $allFields);
        $field = self::field($assoc, $allFields);
        if ($format === 'ids' && $field === null) {
            \WP_CLI\Utils\format_items('ids', array_map(static fn (array $r) => $r['id'], $rows), $fields);
            return;
        }
        $args = ['format' => $format, 'fields' => $fields, 'field' => $field];
        (new \WP_CLI\Formatter($args))->display_items(array_map([self::class, 'flatten'], $rows));
    }

    /**
     * Prints one record: a Field/Value table by default, the record itself in other formats.
     *
     * @param array<string, mixed> $assoc
     * @param array<string, mixed> $row
     * @param list<string>         $allFields Every field, in display order.
     */
    public static function item(array $assoc, array $row, array $allFields): void
    {
        $format = self::format($assoc, self::ITEM_FORMATS);
        $fields = self::fields($assoc, $allFields, $allFields);
        $field = self::field($assoc, $allFields);
        $shown = [];
        foreach ($fields as $f) {
            $shown[$f] = $row[$f] ?? null;
        }
        // A table or CSV shows each value as text; JSON and YAML keep the types.
        $shown = in_array($format, ['table', 'csv'], true) && $field === null ? array_map([self::class, 'scalar'], $shown) : self::flatten($shown);
        $args = ['format' => $format, 'fields' => $fields, 'field' => $field];
        (new \WP_CLI\Formatter($args))->display_item($shown);
    }

    /**
     * The value of `--<name>`, which must be one of `$allowed`, or a WP-CLI error naming them.
     *
     * @param mixed        $value
     * @param list<string> $allowed
     */
    public static function oneOf(string $name, $value, array $allowed): string
    {
        $value = $value === true ? '' : (string) $value;
        if (!in_array($value, $allowed, true)) {
            \WP_CLI::error(sprintf('Unknown %s "%s": use one of %s.', $name, $value, implode(', ', $allowed)));
        }
        return $value;
    }

    /**
     * The `--field` value (print only this field's value), checked; null when not given.
     *
     * @param array<string, mixed> $assoc
     * @param list<string>         $all
     */
    public static function field(array $assoc, array $all): ?string
    {
        if (!isset($assoc['field'])) {
            return null;
        }
        $field = trim((string) $assoc['field']);
        if (!in_array($field, $all, true)) {
            \WP_CLI::error(sprintf('Unknown field "%s": use any of %s.', $field, implode(', ', $all)));
        }
        return $field;
    }

    /**
     * The `--format` value, checked.
     *
     * @param array<string, mixed> $assoc
     * @param list<string>         $allowed
     */
    public static function format(array $assoc, array $allowed = self::FORMATS): string
    {
        return self::oneOf('format', $assoc['format'] ?? 'table', $allowed);
    }

    /**
     * Webhook id => the deliveries waiting for its unreachable endpoint (its circuit is open)
     * and when the engine tries it next (UTC), from the engine's stats.
     *
     * @param array<string, mixed> $stats Engine::stats().
     * @return array<string, array{waiting:int, next_probe_at:string}>
     */
    public static function parked(array $stats): array
    {
        $out = [];
        foreach ((array) ($stats['endpoints_unreachable'] ?? []) as $id => $u) {
            $out[(string) $id] = ['waiting' => (int) ($u['waiting'] ?? 0), 'next_probe_at' => gmdate('Y-m-d H:i:s', intdiv((int) ($u['next_probe_ms'] ?? 0), 1000))];
        }
        return $out;
    }

    /**
     * The `--fields` value, checked against the fields that exist.
     *
     * @param array<string, mixed> $assoc
     * @param list<string>         $default
     * @param list<string>         $all
     * @return list<string>
     */
    public static function fields(array $assoc, array $default, array $all): array
    {
        if (!isset($assoc['fields']) || $assoc['fields'] === true || trim((string) $assoc['fields']) === '') {
            return $default;
        }
        $fields = array_values(array_filter(array_map('trim', explode(',', (string) $assoc['fields'])), 'strlen'));
        foreach ($fields as $f) {
            if (!in_array($f, $all, true)) {
                \WP_CLI::error(sprintf('Unknown field "%s": use any of %s.', $f, implode(', ', $all)));
            }
        }
        return $fields;
    }

    /**
     * A record whose booleans read as 0/1 in every format and whose nulls are empty.
     *
     * @param array<string, mixed> $row
     * @return array<string, mixed>
     */
    private static function flatten(array $row): array
    {
        foreach ($row as $k => $v) {
            if (is_bool($v)) {
                $row[$k] = $v ? 1 : 0;
            }
        }
        return $row;
    }

    /**
     * One value as table text.
     *
     * @param mixed $v
     */
    public static function scalar($v): string
    {
        if (is_bool($v)) {
            return $v ? '1' : '0';
        }
        if (is_array($v)) {
            return (string) wp_json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        }
        return (string) $v;
    }
}
