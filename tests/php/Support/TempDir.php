<?php
/**
 * Unique temporary directories for tests.
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Tests\Support;

final class TempDir
{
    /** Creates a fresh directory under $base (default sys_get_temp_dir()) and returns its path. */
    public static function create(string $label, ?string $base = null): string
    {
        $base = rtrim($base ?? sys_get_temp_dir(), '/');
        for ($i = 0; $i < 10; $i++) {
            $dir = sprintf('%s/mwh-%s-%d-%s', $base, $label, getmypid(), bin2hex(random_bytes(6)));
            if (@mkdir($dir, 0700)) {
                return $dir;
            }
        }
        throw new \RuntimeException("cannot create a temporary directory under $base");
    }

    /** Removes $dir and everything in it (never follows symlinks). */
    public static function remove(string $dir): void
    {
        if ('' === $dir || !file_exists($dir) || is_link($dir)) {
            if (is_link($dir)) {
                unlink($dir);
            }
            return;
        }
        $items = new \RecursiveIteratorIterator(
            new \RecursiveDirectoryIterator($dir, \FilesystemIterator::SKIP_DOTS),
            \RecursiveIteratorIterator::CHILD_FIRST
        );
        foreach ($items as $item) {
            if ($item->isDir() && !$item->isLink()) {
                @rmdir($item->getPathname());
            } else {
                @unlink($item->getPathname());
            }
        }
        @rmdir($dir);
    }
}
