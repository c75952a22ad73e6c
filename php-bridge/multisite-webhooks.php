<?php
/**
 * Plugin Name:       Multisite Webhooks
 * Plugin URI:        https://github.com/multisite-webhooks/multisite-webhooks
 * Description:       Signed, retried, logged webhooks for every event of a WordPress network — compatible with Ultimate Multisite's webhooks, delivered off the page view by a native engine.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Network:           true
 * Author:            Multisite Webhooks
 * License:           GPL-2.0-or-later
 * Text Domain:       multisite-webhooks
 *
 * @package MultisiteWebhooks
 */

defined('ABSPATH') || exit;

require_once __DIR__ . '/src/Autoloader.php';
\MultisiteWebhooks\Autoloader::register(__DIR__ . '/src');
require_once __DIR__ . '/functions.php';

\MultisiteWebhooks\Plugin::boot(__FILE__);
