/**
 * Multisite Webhooks network admin pages: Send Test Event dialog, events picker with example
 * payloads, copy buttons, confirmations. Plain browser JavaScript; no build step.
 */
( function () {
	'use strict';

	var __ = window.wp && wp.i18n ? wp.i18n.__ : function ( s ) { return s; };
	var sprintf = window.wp && wp.i18n ? wp.i18n.sprintf : function ( s ) { return s; };
	var speak = window.wp && wp.a11y ? wp.a11y.speak : function () {};
	var config = window.multisiteWebhooks || {};

	function $( selector, root ) {
		return ( root || document ).querySelector( selector );
	}

	function $all( selector, root ) {
		return Array.prototype.slice.call( ( root || document ).querySelectorAll( selector ) );
	}

	function pretty( value ) {
		return JSON.stringify( value, null, 4 );
	}

	// ------------------------------------------------------------------ copy

	function copyText( text, button ) {
		if ( ! button.hasAttribute( 'data-label' ) ) {
			button.setAttribute( 'data-label', button.textContent );
		}
		function done() {
			button.textContent = __( 'Copied!', 'multisite-webhooks' );
			speak( __( 'Copied to the clipboard.', 'multisite-webhooks' ) );
			clearTimeout( button.mwhTimer );
			button.mwhTimer = setTimeout( function () { button.textContent = button.getAttribute( 'data-label' ); }, 1500 );
		}
		if ( navigator.clipboard && window.isSecureContext ) {
			navigator.clipboard.writeText( text ).then( done, function () { fallbackCopy( text ) && done(); } );
		} else if ( fallbackCopy( text ) ) {
			done();
		}
	}

	function fallbackCopy( text ) {
		var area = document.createElement( 'textarea' );
		area.value = text;
		area.setAttribute( 'readonly', '' );
		area.style.position = 'fixed';
		area.style.opacity = '0';
		document.body.appendChild( area );
		area.select();
		var ok = false;
		try {
			ok = document.execCommand( 'copy' );
		} catch ( e ) {}
		document.body.removeChild( area );
		return ok;
	}

	document.addEventListener( 'click', function ( e ) {
		var button = e.target.closest( '.mwh-copy' );
		if ( ! button ) {
			return;
		}
		e.preventDefault();
		var target = button.getAttribute( 'data-copy-target' );
		var el = target ? document.getElementById( target ) : null;
		var text = el ? ( 'value' in el && el.tagName !== 'PRE' ? el.value : el.textContent ) : button.getAttribute( 'data-copy-text' ) || '';
		copyText( text, button );
	} );

	// ------------------------------------------------------------------ confirmations

	document.addEventListener( 'click', function ( e ) {
		var el = e.target.closest( '.mwh-confirm' );
		if ( el && ! window.confirm( el.getAttribute( 'data-confirm' ) ) ) {
			e.preventDefault();
		}
	} );

	// ------------------------------------------------------------------ Send Test Event

	var dialog = $( '#mwh-test-dialog' );

	function fill( cls, text ) {
		var el = $( cls, dialog );
		el.textContent = text;
		return el;
	}

	function showResult( r ) {
		$( '.mwh-test-sending', dialog ).hidden = true;
		var result = $( '.mwh-test-result', dialog );
		result.hidden = false;
		var verdict = $( '.mwh-test-verdict', dialog );
		var status = r.status ? 'HTTP ' + r.status + ( r.reason ? ' ' + r.reason : '' ) : '';
		var text;
		if ( r.ok ) {
			/* translators: %s: HTTP status and reason, e.g. "HTTP 200 OK" */
			text = sprintf( __( 'Success: the receiver answered %s.', 'multisite-webhooks' ), status );
		} else if ( r.status ) {
			/* translators: %s: HTTP status and reason, e.g. "HTTP 500 Internal Server Error" */
			text = sprintf( __( 'Failed: the receiver answered %s.', 'multisite-webhooks' ), status );
		} else {
			/* translators: %s: the network error */
			text = sprintf( __( 'Failed: %s', 'multisite-webhooks' ), r.error_sentence ? r.error_sentence + ' (' + ( r.error || '' ) + ')' : ( r.error || __( 'no response', 'multisite-webhooks' ) ) );
		}
		verdict.textContent = text;
		verdict.className = 'mwh-test-verdict ' + ( r.ok ? 'mwh-status-ok' : 'mwh-status-bad' );
		dialog.setAttribute( 'data-outcome', r.ok ? 'success' : 'failure' );
		fill( '.mwh-test-event', r.event || '' );
		fill( '.mwh-test-url', r.url || '' );
		fill( '.mwh-test-status', status || __( 'none', 'multisite-webhooks' ) );
		fill( '.mwh-test-error', r.error || __( 'none', 'multisite-webhooks' ) );
		/* translators: %d: milliseconds */
		fill( '.mwh-test-duration', typeof r.duration_ms === 'number' ? sprintf( __( '%d ms', 'multisite-webhooks' ), r.duration_ms ) : '' );
		var payload = r.payload || '';
		try {
			payload = pretty( JSON.parse( payload ) );
		} catch ( e ) {
			// Shown as sent.
		}
		fill( '.mwh-test-payload', payload );
		fill( '.mwh-test-body', r.response_excerpt === '' ? __( '(empty)', 'multisite-webhooks' ) : r.response_excerpt );
		fill( '.mwh-test-request-headers', pretty( r.request_headers || {} ) );
		fill( '.mwh-test-response-headers', pretty( r.response_headers || {} ) );
		var log = $( '.mwh-test-log', dialog );
		log.textContent = '';
		if ( r.log_url ) {
			var a = document.createElement( 'a' );
			a.href = r.log_url;
			a.textContent = __( 'Recorded in the delivery log as a test.', 'multisite-webhooks' );
			log.appendChild( a );
		}
		speak( text );
	}

	function sendTest( button ) {
		var select = button.getAttribute( 'data-event-select' );
		var body = new FormData();
		body.append( 'action', 'multisite_webhooks_send_test' );
		body.append( '_ajax_nonce', config.nonce || '' );
		body.append( 'webhook_id', button.getAttribute( 'data-webhook-id' ) );
		if ( select && document.getElementById( select ) ) {
			body.append( 'event', document.getElementById( select ).value );
		}
		$( '.mwh-test-sending', dialog ).hidden = false;
		$( '.mwh-test-result', dialog ).hidden = true;
		dialog.removeAttribute( 'data-outcome' );
		if ( ! dialog.open ) {
			dialog.showModal();
		}
		var label = button.textContent;
		button.disabled = true;
		button.textContent = __( 'Sending…', 'multisite-webhooks' );
		fetch( config.ajaxUrl, { method: 'POST', credentials: 'same-origin', body: body } )
			.then( function ( res ) {
				return res.text().then( function ( text ) {
					var json = null;
					try {
						json = JSON.parse( text );
					} catch ( e ) {}
					if ( json && json.success ) {
						return json.data;
					}
					/* translators: %d: HTTP status code */
					var message = json && json.data && json.data.message ? json.data.message : sprintf( __( 'The server answered HTTP %d.', 'multisite-webhooks' ), res.status );
					return { ok: false, error: message, request_headers: {}, response_headers: {}, response_excerpt: '' };
				} );
			}, function ( err ) {
				return { ok: false, error: String( err ), request_headers: {}, response_headers: {}, response_excerpt: '' };
			} )
			.then( showResult )
			.finally( function () {
				button.disabled = false;
				button.textContent = label;
			} );
	}

	if ( dialog ) {
		document.addEventListener( 'click', function ( e ) {
			var button = e.target.closest( '.mwh-send-test' );
			if ( button ) {
				e.preventDefault();
				sendTest( button );
			}
		} );
	}

	// ------------------------------------------------------------------ events picker

	var picker = $( '#mwh-events' );
	var catalogEl = $( '#mwh-catalog' );
	var examples = $( '#mwh-examples' );
	var catalog = catalogEl ? JSON.parse( catalogEl.textContent ) : {};

	function format() {
		var checked = $( 'input[name="payload_format"]:checked' );
		return checked ? checked.value : 'flat';
	}

	function renderExamples() {
		if ( ! examples ) {
			return;
		}
		examples.textContent = '';
		var selected = $all( 'input[name="events[]"]:checked', picker ).map( function ( i ) { return i.value; } );
		if ( selected.indexOf( '*' ) !== -1 ) {
			var note = document.createElement( 'p' );
			note.textContent = __( 'All events: each event is sent with its own payload (see the events reference).', 'multisite-webhooks' );
			examples.appendChild( note );
			selected = selected.filter( function ( s ) { return s !== '*'; } );
		}
		if ( ! selected.length && ! examples.firstChild ) {
			var none = document.createElement( 'p' );
			none.className = 'description';
			none.textContent = __( 'Choose an event to see its payload.', 'multisite-webhooks' );
			examples.appendChild( none );
		}
		selected.forEach( function ( slug, n ) {
			var e = catalog[ slug ];
			if ( ! e ) {
				return;
			}
			var payload = typeof e.payload === 'string' ? JSON.parse( e.payload ) : e.payload;
			var body = format() === 'envelope'
				? { type: slug, timestamp: new Date().toISOString(), data: payload }
				: payload;
			var box = document.createElement( 'div' );
			box.className = 'mwh-example';
			box.setAttribute( 'data-event', slug );
			var head = document.createElement( 'h3' );
			head.textContent = e.name + ' ';
			var code = document.createElement( 'code' );
			code.textContent = slug;
			head.appendChild( code );
			var pre = document.createElement( 'pre' );
			pre.className = 'mwh-json';
			pre.id = 'mwh-example-' + n;
			pre.textContent = pretty( body );
			var copy = document.createElement( 'button' );
			copy.type = 'button';
			copy.className = 'button mwh-copy';
			copy.setAttribute( 'data-copy-target', pre.id );
			copy.textContent = __( 'Copy', 'multisite-webhooks' );
			box.appendChild( head );
			box.appendChild( copy );
			box.appendChild( pre );
			examples.appendChild( box );
		} );
	}

	if ( picker ) {
		picker.addEventListener( 'change', renderExamples );
		$all( 'input[name="payload_format"]' ).forEach( function ( r ) { r.addEventListener( 'change', renderExamples ); } );
		var filter = $( '#mwh-events-filter' );
		filter.addEventListener( 'input', function () {
			var q = filter.value.trim().toLowerCase();
			$all( '.mwh-event', picker ).forEach( function ( label ) {
				label.hidden = q !== '' && label.getAttribute( 'data-search' ).indexOf( q ) === -1 && ! $( 'input', label ).checked;
			} );
		} );
		// The filter box must not submit the form on Enter.
		filter.addEventListener( 'keydown', function ( e ) {
			if ( e.key === 'Enter' ) {
				e.preventDefault();
			}
		} );
		renderExamples();
	}

	// A form shown again with errors: focus goes to the first field in error (its message is
	// read out with it), not to the top of the page.
	var firstError = $( '.mwh-has-error' );
	if ( firstError ) {
		var field = $( '[aria-invalid="true"]', firstError );
		var target = field && field.tagName === 'FIELDSET' ? $( 'input', field ) : field;
		( target || $( 'input, select, textarea', firstError ) || firstError ).focus();
	}

	// Headers: "Add header" adds a blank row (names headers[N][…] after the last row's N).
	var addHeader = $( '#mwh-add-header' );
	if ( addHeader ) {
		addHeader.addEventListener( 'click', function () {
			var rows = $all( '.mwh-header-row' );
			var last = rows[ rows.length - 1 ];
			var next = last.cloneNode( true );
			var n = rows.length;
			$all( 'input', next ).forEach( function ( input ) {
				input.name = input.name.replace( /^headers\[\d+\]/, 'headers[' + n + ']' );
				input.value = '';
				if ( input.classList.contains( 'mwh-header-value' ) ) {
					input.placeholder = __( 'Value', 'multisite-webhooks' );
				}
			} );
			last.parentNode.insertBefore( next, last.nextSibling );
			$( '.mwh-header-name', next ).focus();
		} );
	}
}() );
