<?php
/**
 * Registers the `wp webhook` commands with WP-CLI (only loaded when WP-CLI runs).
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Cli;

use MultisiteWebhooks\Plugin;

/**
 * The command tree: `wp webhook …`, `wp webhook event …`, `wp webhook delivery …`,
 * `wp webhook queue …`.
 */
final class Commands
{
    /** Command name => class implementing its subcommands. */
    public const TREE = [
        'webhook' => WebhookCommand::class,
        'webhook event' => EventCommand::class,
        'webhook delivery' => DeliveryCommand::class,
        'webhook queue' => QueueCommand::class,
    ];

    private static ?Plugin $plugin = null;

    /**
     * Adds the commands to WP-CLI. Called by Plugin when `WP_CLI` is defined.
     */
    public static function register(Plugin $plugin): void
    {
        self::$plugin = $plugin;
        foreach (self::TREE as $name => $class) {
            \WP_CLI::add_command($name, $class);
        }
    }

    /**
     * The plugin the commands act on (the one they were registered with, else the running one).
     */
    public static function plugin(): Plugin
    {
        return self::$plugin ?? Plugin::instance();
    }
}
