<?php
/**
 * Runs PHP code or a PHP script inside WordPress (used by tools/wp/wp-php.sh):
 *     php run.php -r 'CODE' [ARGS...]     like php -r; $argv[0] is "Standard input code"
 *     php run.php SCRIPT.php [ARGS...]    $argv[0] is the script, $argv[1..] its arguments
 *     php run.php - [ARGS...]             the script is read from standard input
 * The site comes from MWH_WP_URL; MWH_RUN_USER (a login) becomes the current user.
 */

$mwh_args = array_slice($argv, 1);
if ($mwh_args === []) {
    fwrite(STDERR, "usage: run.php (-r CODE | SCRIPT.php | -) [ARGS...]\n");
    exit(2);
}
if ($mwh_args[0] === '-r') {
    if (!isset($mwh_args[1])) {
        fwrite(STDERR, "-r needs code\n");
        exit(2);
    }
    $mwh_code = $mwh_args[1];
    $argv = array_merge(['Standard input code'], array_slice($mwh_args, 2));
    $mwh_script = null;
} elseif ($mwh_args[0] === '-') {
    $mwh_code = '?>' . stream_get_contents(STDIN);
    $argv = array_merge(['Standard input code'], array_slice($mwh_args, 1));
    $mwh_script = null;
} else {
    $mwh_script = $mwh_args[0];
    if (!is_file($mwh_script) || !is_readable($mwh_script)) {
        fwrite(STDERR, "cannot read $mwh_script (as user " . (function_exists('posix_geteuid') ? posix_getpwuid(posix_geteuid())['name'] : get_current_user()) . ")\n");
        exit(2);
    }
    $argv = $mwh_args;
    $mwh_code = null;
}
$argc = count($argv);
$_SERVER['argv'] = $argv;
$_SERVER['argc'] = $argc;
unset($mwh_args);

require __DIR__ . '/bootstrap.php';

if (($mwh_user = getenv('MWH_RUN_USER')) !== false && $mwh_user !== '') {
    $mwh_user_obj = get_user_by('login', $mwh_user);
    if (!$mwh_user_obj) {
        fwrite(STDERR, "no such user: $mwh_user\n");
        exit(2);
    }
    wp_set_current_user($mwh_user_obj->ID);
}
unset($mwh_user, $mwh_user_obj);

if ($mwh_script !== null) {
    unset($mwh_code);
    require $mwh_script;
} else {
    unset($mwh_script);
    eval($mwh_code);
}
