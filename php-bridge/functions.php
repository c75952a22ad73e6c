<?php
/**
 * Public functions for custom code: register an event type, emit an event.
 *
 * @package MultisiteWebhooks
 */

defined( 'ABSPATH' ) || exit;

if ( ! function_exists( 'hooks_register_event' ) ) {
	/**
	 * Registers an event type so network admins can subscribe webhooks to it.
	 *
	 * @since 0.1.0
	 *
	 * @param string $slug Event slug: letters, digits, `_`, `-`, `.`, `:` (at most 191).
	 * @param array  $args {
	 *     @type string         $name        Label shown in the admin.
	 *     @type string         $description What it means and when it fires.
	 *     @type array|callable $payload     Example payload (or a callable returning it).
	 * }
	 * @return true|WP_Error
	 */
	function hooks_register_event(string $slug, array $args = array())
    {
		return \MultisiteWebhooks\Plugin::instance()->catalog()->register( $slug, $args, 'custom' );
	}
}

if ( ! function_exists( 'hooks_emit' ) ) {
	/**
	 * Emits an event to every active webhook subscribed to it. Returns at once: delivery
	 * happens in the background, with retries.
	 *
	 * @since 0.1.0
	 *
	 * @param string       $slug    Event slug.
	 * @param array|string $payload Flat payload (array, or the JSON text of an object).
	 * @return string|WP_Error The event id (`msg_…`, the `webhook-id` receivers see), or why it was refused.
	 */
	function hooks_emit(string $slug, $payload = array())
    {
		return \MultisiteWebhooks\Plugin::instance()->emitter()->emit( $slug, $payload );
	}
}
