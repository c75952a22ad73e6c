<?php
/**
 * Plugin Name: Multisite Webhooks benchmark page
 * Description: Installed as a must-use plugin by bench/system.py for the length of `make bench`
 *              (never shipped). GET /?mwh_bench=… is a page view that raises one event:
 *                emit&n=N     hooks_emit('bench_ping') N times (this plugin)
 *                timed&n=N    the same, answering JSON: this worker's pid, whether it leads
 *                             delivery, and each hooks_emit() call's time in ns (hrtime)
 *                remote       wp_remote_post() to each URL of the site option
 *                             mwh_bench_remote_urls, as Ultimate Multisite sends (inline,
 *                             non-blocking, 45 s timeout, 5 redirects)
 *                none         raises nothing (the baseline)
 *              Each answers "ok" at `init`, so the theme's rendering is not in the figures.
 */

defined( 'ABSPATH' ) || exit;

add_action( 'multisite_webhooks_register_events', static function ( $catalog ) {
	$catalog->register( 'bench_ping', array(
		'name'        => 'Benchmark Ping',
		'description' => 'Raised by make bench.',
		'payload'     => array( 'i' => 1 ),
	), 'custom' );
} );

// The local TLS receiver's self-signed certificate is the one WordPress trusts for it.
add_filter( 'http_request_args', static function ( $args ) {
	$ca = get_site_option( 'mwh_bench_ca_file' );
	if ( $ca && is_readable( $ca ) ) {
		$args['sslcertificates'] = $ca;
	}
	return $args;
} );

add_action( 'init', static function () {
	if ( ! isset( $_GET['mwh_bench'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification -- benchmark page.
		return;
	}
	$mode    = (string) $_GET['mwh_bench']; // phpcs:ignore
	$payload = array(
		'site_id'    => get_current_blog_id(),
		'payment_id' => 981,
		'total'      => 129.0,
		'note'       => str_repeat( 'x', 900 ),
	);
	if ( 'emit' === $mode ) {
		$n = max( 1, min( 10000, (int) ( $_GET['n'] ?? 1 ) ) ); // phpcs:ignore
		for ( $i = 0; $i < $n; $i++ ) {
			$payload['i'] = $i;
			$id           = hooks_emit( 'bench_ping', $payload );
			if ( is_wp_error( $id ) ) {
				status_header( 500 );
				echo esc_html( $id->get_error_message() );
				exit;
			}
		}
	} elseif ( 'timed' === $mode ) {
		$n  = max( 1, min( 10000, (int) ( $_GET['n'] ?? 1 ) ) ); // phpcs:ignore
		$ns = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$payload['i'] = $i;
			$t0           = hrtime( true );
			$id           = hooks_emit( 'bench_ping', $payload );
			$ns[]         = hrtime( true ) - $t0;
			if ( is_wp_error( $id ) || MultisiteWebhooks\Plugin::instance()->emitter()->wentToOutbox( (string) $id ) ) {
				status_header( 500 );
				echo esc_html( is_wp_error( $id ) ? $id->get_error_message() : 'the event went to the outbox' );
				exit;
			}
		}
		$stats = MultisiteWebhooks\Plugin::instance()->engine()->stats();
		header( 'Content-Type: application/json' );
		echo wp_json_encode( array( 'pid' => getmypid(), 'leader' => ! empty( $stats['is_leader'] ), 'ns' => $ns ) );
		exit;
	} elseif ( 'remote' === $mode ) {
		foreach ( (array) get_site_option( 'mwh_bench_remote_urls', array() ) as $url ) {
			wp_remote_post( $url, array(
				'method'      => 'POST',
				'timeout'     => 45,
				'redirection' => 5,
				'headers'     => array( 'Content-Type' => 'application/json' ),
				'body'        => wp_json_encode( $payload ),
				'blocking'    => false,
			) );
		}
	}
	header( 'Content-Type: text/plain' );
	echo 'ok';
	exit;
}, 1 );
