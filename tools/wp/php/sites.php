<?php
/** Prints the URL of every site of the network, one a line (used by tools/wp/cron.sh). */
require __DIR__ . '/bootstrap.php';
foreach (get_sites(['number' => 100000, 'archived' => 0, 'deleted' => 0, 'spam' => 0]) as $site) {
    echo 'http://' . $site->domain . $site->path, "\n";
}
