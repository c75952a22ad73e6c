<?php
/**
 * Bootstrap of the WordPress end-to-end tests (see Support/WpTestCase.php).
 */

declare(strict_types=1);

define('HOOKS_TEST_ROOT', dirname(__DIR__, 2));

spl_autoload_register(static function (string $class): void {
    foreach (['MultisiteWebhooks\\Tests\\Support\\' => HOOKS_TEST_ROOT . '/tests/php/Support/', 'MultisiteWebhooks\\Tests\\Wp\\' => __DIR__ . '/Support/'] as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
        }
    }
});
