<?php
/**
 * A PSR-4 autoloader for the plugin's classes and the test support classes.
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $root = dirname(__DIR__, 2);
    $prefixes = [
        'MultisiteWebhooks\\Tests\\' => $root . '/tests/php/',
        'MultisiteWebhooks\\'        => $root . '/php-bridge/src/',
    ];
    foreach ($prefixes as $prefix => $dir) {
        if (0 === strncmp($class, $prefix, strlen($prefix))) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
