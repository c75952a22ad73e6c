<?php
/**
 * How the `wp webhook` commands turn an `<id>` into a record, as wp-cli/entity-command's
 * fetchers do: one place, one message.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

use MultisiteWebhooks\Plugin;

/**
 * Finds webhooks and delivery-log entries by id, or stops the command with
 * `Error: Could not find the webhook with ID 12.` and where to look the ids up.
 */
final class Fetcher
{
    /** What a kind of record is called, and the command that lists the ids. */
    private const KINDS = [
        'webhook' => 'wp webhook list',
        'delivery' => 'wp webhook delivery list',
    ];

    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * The webhook with this id (never its secrets), or a WP-CLI error.
     *
     * @param mixed $id
     * @return array<string, mixed>
     */
    public function webhook($id): array
    {
        return $this->get('webhook', $id, fn (int $n): ?array => $this->plugin->webhooks()->get($n));
    }

    /**
     * The delivery-log entry (one attempt) with this id, or a WP-CLI error.
     *
     * @param mixed $id
     * @return array<string, mixed>
     */
    public function delivery($id): array
    {
        return $this->get('delivery', $id, fn (int $n): ?array => $this->plugin->deliveries()->get($n));
    }

    /**
     * Every record of `$ids` (in order), or a WP-CLI error for the first that does not exist —
     * before anything is done to any of them.
     *
     * @param list<mixed> $ids
     * @return list<array<string, mixed>>
     */
    public function all(string $kind, array $ids): array
    {
        return array_map($kind === 'delivery' ? [$this, 'delivery'] : [$this, 'webhook'], array_values($ids));
    }

    /**
     * The id of a webhook that exists, or whose delivery log is still kept (a deleted
     * webhook's history stays until it ages out), or a WP-CLI error.
     *
     * @param mixed $id
     */
    public function loggedWebhookId($id): int
    {
        $found = $this->get('webhook', $id, function (int $n): ?array {
            return $this->plugin->webhooks()->get($n) ?? ($this->plugin->deliveries()->count(['webhook_id' => $n]) > 0 ? ['id' => $n] : null);
        }, ', nor any delivery logged for one');
        return (int) $found['id'];
    }

    /**
     * The one look-up: a positive integer id, then the record, else the error.
     *
     * @param mixed                        $id
     * @param callable(int):?array<string, mixed> $find
     * @return array<string, mixed>
     */
    private function get(string $kind, $id, callable $find, string $also = ''): array
    {
        $id = $id === true ? '' : trim((string) $id);
        $record = ctype_digit($id) && (int) $id > 0 ? $find((int) $id) : null;
        if ($record === null) {
            \WP_CLI::error(self::notFound($kind, $id, $also));
        }
        return $record;
    }

    /**
     * The message for an id that finds nothing.
     */
    public static function notFound(string $kind, string $id, string $also = ''): string
    {
        return sprintf('Could not find the %s with ID %s%s. See `%s` for the ids.', $kind, $id === '' ? '""' : $id, $also, self::KINDS[$kind]);
    }
}
