<?php
/**
 * Every event a webhook can subscribe to: slug, name, description, source, example payload.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Events;

/**
 * The registry of event types.
 */
final class Catalog
{
    /** Events of WordPress itself. */
    public const SOURCE_WORDPRESS = 'wordpress';
    /** Events of Ultimate Multisite. */
    public const SOURCE_ULTIMATE_MULTISITE = 'ultimate-multisite';
    /** Events registered by custom code. */
    public const SOURCE_CUSTOM = 'custom';
    /** Every source, in display order. */
    public const SOURCES = [self::SOURCE_WORDPRESS, self::SOURCE_ULTIMATE_MULTISITE, self::SOURCE_CUSTOM];

    /** @var array<string, array<string, mixed>> */
    private array $events = [];

    /**
     * Whether `$slug` is a valid event slug.
     */
    public static function validSlug(string $slug): bool
    {
        return (bool) preg_match('/^[A-Za-z0-9_.:\-]{1,191}$/', $slug);
    }

    /**
     * Registers (or replaces) an event type.
     *
     * @param array<string, mixed> $args name, description, payload (array or callable).
     * @return true|\WP_Error
     */
    public function register(string $slug, array $args, string $source = self::SOURCE_CUSTOM)
    {
        if (!self::validSlug($slug) || $slug === '*') {
            return new \WP_Error('multisite_webhooks_invalid_event', sprintf(
                /* translators: %s: event slug */
                __('"%s" is not a valid event slug: use 1 to 191 letters, digits, "_", "-", "." or ":".', 'multisite-webhooks'),
                $slug
            ));
        }
        $payload = $args['payload'] ?? [];
        if (!is_array($payload) && !is_callable($payload)) {
            return new \WP_Error('multisite_webhooks_invalid_payload', __('The example payload must be an array or a callable returning one.', 'multisite-webhooks'));
        }
        $this->events[$slug] = [
            'slug' => $slug,
            'name' => (string) ($args['name'] ?? $slug),
            'description' => (string) ($args['description'] ?? ($args['desc'] ?? '')),
            'source' => $source,
            'payload' => $payload,
        ];
        return true;
    }

    /**
     * Whether `$slug` is registered.
     */
    public function has(string $slug): bool
    {
        return isset($this->events[$slug]);
    }

    /**
     * One event type with its example payload resolved, or null.
     *
     * @return array<string, mixed>|null
     */
    public function get(string $slug): ?array
    {
        if (!isset($this->events[$slug])) {
            return null;
        }
        $e = $this->events[$slug];
        $e['payload'] = $this->example($slug);
        return $e;
    }

    /**
     * The example payload of an event (empty object if none could be built).
     *
     * @return array<string, mixed>
     */
    public function example(string $slug): array
    {
        $p = $this->events[$slug]['payload'] ?? [];
        if (is_callable($p)) {
            try {
                $p = $p();
            } catch (\Throwable $e) {
                $p = [];
            }
            $this->events[$slug]['payload'] = is_array($p) ? $p : [];
        }
        return is_array($p) ? $p : [];
    }

    /**
     * Every event type, sorted by source then slug, examples resolved.
     *
     * @return list<array<string, mixed>>
     */
    public function all(): array
    {
        $order = [self::SOURCE_WORDPRESS => 0, self::SOURCE_ULTIMATE_MULTISITE => 1, self::SOURCE_CUSTOM => 2];
        $all = array_map(fn (string $slug): array => (array) $this->get($slug), array_keys($this->events));
        usort($all, static fn (array $a, array $b): int => [$order[$a['source']] ?? 3, $a['slug']] <=> [$order[$b['source']] ?? 3, $b['slug']]);
        return $all;
    }
}
