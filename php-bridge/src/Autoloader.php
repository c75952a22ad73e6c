<?php
/**
 * PSR-4 autoloader for the plugin's classes (no Composer needed).
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

/**
 * Maps `MultisiteWebhooks\Foo\Bar` to `src/Foo/Bar.php`.
 */
final class Autoloader
{
    /**
     * Registers the autoloader for classes under `$dir`.
     */
    public static function register(string $dir): void
    {
        spl_autoload_register(static function (string $class) use ($dir): void {
            $prefix = __NAMESPACE__ . '\\';
            if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
                return;
            }
            $file = $dir . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
        });
    }
}
