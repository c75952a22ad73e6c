<?php
/**
 * `wp webhook event`: the event types webhooks can subscribe to.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

use MultisiteWebhooks\Plugin;

/**
 * Lists event types and shows their example payloads.
 *
 * ## EXAMPLES
 *
 *     $ wp webhook event list
 *     $ wp webhook event example site_created
 */
final class EventCommand
{
    /** Fields of an event type. */
    public const FIELDS = ['slug', 'name', 'source', 'description'];

    private Plugin $plugin;

    public function __construct(?Plugin $plugin = null)
    {
        $this->plugin = $plugin ?? Commands::plugin();
    }

    /**
     * Lists the event types (WordPress, Ultimate Multisite and custom ones).
     *
     * ## OPTIONS
     *
     * [--source=<source>]
     * : Only events of this source: wordpress, ultimate-multisite or custom.
     *
     * [--field=<field>]
     * : Print only this field of each event type, one per line.
     *
     * [--fields=<fields>]
     * : Comma-separated fields to show. Defaults to slug,name,source,description.
     *
     * [--format=<format>]
     * : Output format (`ids` prints the slugs).
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
     * ## EXAMPLES
     *
     *     # The slug and name of WordPress's own events
     *     $ wp webhook event list --source=wordpress --fields=slug,name
     *
     *     # Every slug, on one line
     *     $ wp webhook event list --format=ids
     *
     * @subcommand list
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function list_(array $args, array $assoc): void
    {
        $events = [];
        $source = isset($assoc['source']) ? Output::oneOf('source', $assoc['source'], \MultisiteWebhooks\Events\Catalog::SOURCES) : null;
        foreach ($this->plugin->catalog()->all() as $e) {
            if ($source !== null && $e['source'] !== $source) {
                continue;
            }
            $events[] = ['id' => $e['slug'], 'slug' => $e['slug'], 'name' => (string) $e['name'], 'source' => (string) $e['source'],
                'description' => (string) ($e['description'] ?? '')];
        }
        if (Output::format($assoc) !== 'ids') {
            $events = array_map(static function (array $e): array {
                unset($e['id']);
                return $e;
            }, $events);
        }
        Output::items($assoc, $events, self::FIELDS, self::FIELDS);
    }

    /**
     * Prints the example payload of an event type as pretty JSON.
     *
     * ## OPTIONS
     *
     * <slug>
     * : The event slug.
     *
     * ## EXAMPLES
     *
     *     # What a receiver gets for user_registered
     *     $ wp webhook event example user_registered
     *     {
     *         "user_id": 42,
     *         ...
     *     }
     *
     * @param list<string>         $args
     * @param array<string, mixed> $assoc
     */
    public function example(array $args, array $assoc): void
    {
        $slug = (string) ($args[0] ?? '');
        if (!$this->plugin->catalog()->has($slug)) {
            \WP_CLI::error(sprintf('There is no event called "%s". See `wp webhook event list`.', $slug));
        }
        // What a receiver gets in the flat format (the plugin's one encoder), laid out to read.
        $json = \MultisiteWebhooks\Payload::fromValue($this->plugin->catalog()->example($slug)) ?? '{}';
        \WP_CLI::line((string) wp_json_encode(json_decode($json), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
    }
}
