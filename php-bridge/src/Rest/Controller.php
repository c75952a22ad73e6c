<?php
/**
 * The REST API (`multisite-webhooks/v1`): webhooks, the event catalog and the delivery log,
 * for network administrators and for integrations such as Zapier (REST Hooks: subscribe with
 * POST /webhooks, unsubscribe with DELETE /webhooks/<id>, sample data from
 * /events/<slug>/example).
 *
 * Authentication is WordPress core's (cookie + nonce, or application passwords); every route
 * requires the `manage_network_options` capability.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Rest;

use MultisiteWebhooks\Messages;
use MultisiteWebhooks\Payload;
use MultisiteWebhooks\Store\Deliveries;
use MultisiteWebhooks\UrlRule;

use MultisiteWebhooks\Plugin;
use MultisiteWebhooks\Store\Webhooks;

/**
 * Registers the routes and turns the plugin's services into REST responses.
 */
final class Controller
{
    /** Route namespace. */
    public const NAMESPACE = 'multisite-webhooks/v1';

    /** Capability required on every route. */
    public const CAPABILITY = 'manage_network_options';

    /** Delivery outcomes a caller may filter on (`failing` = failed or retrying). */
    private const DELIVERY_STATUSES = [...Deliveries::OUTCOMES, 'failing'];

    /** Columns webhooks can be sorted by. */
    private const WEBHOOK_ORDERBY = ['id', 'name', 'webhook_url', 'event', 'event_count', 'failure_count', 'active', 'date_created', 'date_modified', 'date_last_delivery'];

    /** Seconds the delivery log importer may spend before a delivery listing. */
    private const IMPORT_BUDGET = 0.5;

    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Registers every route (called on `rest_api_init`).
     */
    public function register(): void
    {
        $permission = [$this, 'permission'];
        $id = ['id' => ['description' => __('Webhook id.', 'multisite-webhooks'), 'type' => 'integer', 'minimum' => 1, 'required' => true]];

        register_rest_route(self::NAMESPACE, '/webhooks', [
            [
                'methods' => \WP_REST_Server::READABLE,
                'callback' => [$this, 'listWebhooks'],
                'permission_callback' => $permission,
                'args' => $this->webhookListArgs(),
            ],
            [
                'methods' => \WP_REST_Server::CREATABLE,
                'callback' => [$this, 'createWebhook'],
                'permission_callback' => $permission,
                'args' => $this->webhookFieldArgs(true),
            ],
            'schema' => [$this, 'webhookSchema'],
        ]);
        register_rest_route(self::NAMESPACE, '/webhooks/(?P<id>\d+)', [
            [
                'methods' => \WP_REST_Server::READABLE,
                'callback' => [$this, 'getWebhook'],
                'permission_callback' => $permission,
                'args' => $id,
            ],
            [
                'methods' => \WP_REST_Server::EDITABLE,
                'callback' => [$this, 'updateWebhook'],
                'permission_callback' => $permission,
                'args' => $id + $this->webhookFieldArgs(false),
            ],
            [
                'methods' => \WP_REST_Server::DELETABLE,
                'callback' => [$this, 'deleteWebhook'],
                'permission_callback' => $permission,
                'args' => $id,
            ],
            'schema' => [$this, 'webhookSchema'],
        ]);
        register_rest_route(self::NAMESPACE, '/webhooks/(?P<id>\d+)/test', [
            'methods' => \WP_REST_Server::CREATABLE,
            'callback' => [$this, 'testWebhook'],
            'permission_callback' => $permission,
            'args' => $id + [
                'event' => [
                    'description' => __('The event whose example payload is sent (default: the webhook\'s first event).', 'multisite-webhooks'),
                    'type' => 'string',
                    'validate_callback' => [$this, 'validateEventArg'],
                ],
            ],
        ]);
        register_rest_route(self::NAMESPACE, '/webhooks/(?P<id>\d+)/rotate-secret', [
            'methods' => \WP_REST_Server::CREATABLE,
            'callback' => [$this, 'rotateSecret'],
            'permission_callback' => $permission,
            'args' => $id,
        ]);
        register_rest_route(self::NAMESPACE, '/events', [
            'methods' => \WP_REST_Server::READABLE,
            'callback' => [$this, 'listEvents'],
            'permission_callback' => $permission,
            'args' => [
                'source' => [
                    'description' => __('Only events of this source.', 'multisite-webhooks'),
                    'type' => 'string',
                    'enum' => ['wordpress', 'ultimate-multisite', 'custom'],
                ],
            ],
            'schema' => [$this, 'eventSchema'],
        ]);
        register_rest_route(self::NAMESPACE, '/events/(?P<slug>[A-Za-z0-9_.:\-]+)/example', [
            'methods' => \WP_REST_Server::READABLE,
            'callback' => [$this, 'eventExample'],
            'permission_callback' => $permission,
            'args' => [
                'slug' => ['description' => __('Event slug.', 'multisite-webhooks'), 'type' => 'string', 'pattern' => '^[A-Za-z0-9_.:\-]{1,191}$', 'required' => true],
            ],
        ]);
        register_rest_route(self::NAMESPACE, '/deliveries', [
            'methods' => \WP_REST_Server::READABLE,
            'callback' => [$this, 'listDeliveries'],
            'permission_callback' => $permission,
            'args' => $this->deliveryListArgs(),
            'schema' => [$this, 'deliverySchema'],
        ]);
        $deliveryId = ['id' => ['description' => __('Delivery (attempt) id.', 'multisite-webhooks'), 'type' => 'integer', 'minimum' => 1, 'required' => true]];
        register_rest_route(self::NAMESPACE, '/deliveries/(?P<id>\d+)', [
            'methods' => \WP_REST_Server::READABLE,
            'callback' => [$this, 'getDelivery'],
            'permission_callback' => $permission,
            'args' => $deliveryId,
            'schema' => [$this, 'deliverySchema'],
        ]);
        register_rest_route(self::NAMESPACE, '/deliveries/(?P<id>\d+)/retry', [
            'methods' => \WP_REST_Server::CREATABLE,
            'callback' => [$this, 'retryDelivery'],
            'permission_callback' => $permission,
            'args' => $deliveryId,
        ]);
    }

    /**
     * Every route: network administrators only. Answers 401 to anonymous callers and 403 to
     * logged-in users without the capability.
     *
     * @return true|\WP_Error
     */
    public function permission(\WP_REST_Request $request)
    {
        if (current_user_can(self::CAPABILITY)) {
            return true;
        }
        return new \WP_Error(
            'rest_forbidden',
            is_user_logged_in()
                ? __('Only network administrators can manage webhooks.', 'multisite-webhooks')
                : __('Log in as a network administrator (or use an application password) to manage webhooks.', 'multisite-webhooks'),
            ['status' => rest_authorization_required_code()]
        );
    }

    // ------------------------------------------------------------------ webhooks

    /**
     * GET /webhooks
     */
    public function listWebhooks(\WP_REST_Request $request): \WP_REST_Response
    {
        $args = [];
        foreach (['search', 'event', 'active', 'integration', 'orderby', 'order'] as $key) {
            if ($request->has_param($key) && $request[$key] !== null && $request[$key] !== '') {
                $args[$key] = $request[$key];
            }
        }
        if (isset($args['active'])) {
            $args['active'] = $args['active'] ? '1' : '0';
        }
        $total = $this->plugin->webhooks()->count($args);
        $per = (int) $request['per_page'];
        $page = (int) $request['page'];
        $items = $this->plugin->webhooks()->list($args + ['per_page' => $per, 'page' => $page]);
        return $this->paged(array_map([$this, 'webhookData'], $items), $total, $per);
    }

    /**
     * POST /webhooks: 201 with the webhook and its signing secret (shown only here).
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function createWebhook(\WP_REST_Request $request)
    {
        $created = $this->plugin->operations()->saveWebhook(null, $this->webhookInput($request));
        if (is_wp_error($created)) {
            return self::invalid($created);
        }
        $hook = $this->plugin->webhooks()->get($created['id']);
        if ($hook === null) {
            return new \WP_Error('multisite_webhooks_not_saved', __('The webhook could not be saved.', 'multisite-webhooks'), ['status' => 500]);
        }
        $response = new \WP_REST_Response($this->webhookData($hook) + ['secret' => $created['secret']], 201);
        $response->header('Location', rest_url(self::NAMESPACE . '/webhooks/' . $created['id']));
        return $response;
    }

    /**
     * GET /webhooks/<id>
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function getWebhook(\WP_REST_Request $request)
    {
        $hook = $this->plugin->webhooks()->get((int) $request['id']);
        return $hook === null ? self::webhookNotFound((int) $request['id']) : new \WP_REST_Response($this->webhookData($hook));
    }

    /**
     * PUT/PATCH /webhooks/<id>: changes only the fields given.
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function updateWebhook(\WP_REST_Request $request)
    {
        $id = (int) $request['id'];
        if ($this->plugin->webhooks()->get($id) === null) {
            return self::webhookNotFound($id);
        }
        $saved = $this->plugin->operations()->saveWebhook($id, $this->webhookInput($request));
        if (is_wp_error($saved)) {
            return self::invalid($saved);
        }
        return new \WP_REST_Response($this->webhookData((array) $this->plugin->webhooks()->get($id)));
    }

    /**
     * DELETE /webhooks/<id> (a REST Hooks unsubscribe).
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function deleteWebhook(\WP_REST_Request $request)
    {
        $id = (int) $request['id'];
        $hook = $this->plugin->webhooks()->get($id);
        if ($hook === null) {
            return self::webhookNotFound($id);
        }
        if (!$this->plugin->webhooks()->delete($id)) {
            return new \WP_Error('multisite_webhooks_not_deleted', __('The webhook could not be deleted.', 'multisite-webhooks'), ['status' => 500]);
        }
        return new \WP_REST_Response(['deleted' => true, 'previous' => $this->webhookData($hook)]);
    }

    /**
     * POST /webhooks/<id>/test: one signed request now. 200 with `ok` false when the
     * receiver failed; errors of our own (unknown webhook or event, no engine) keep their status.
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function testWebhook(\WP_REST_Request $request)
    {
        $event = $request['event'];
        $result = $this->plugin->operations()->sendTest((int) $request['id'], is_string($event) && $event !== '' ? $event : null);
        if (is_wp_error($result)) {
            return $result;
        }
        return new \WP_REST_Response($result);
    }

    /**
     * POST /webhooks/<id>/rotate-secret: the new secret (shown only here); the previous one
     * keeps signing until `previous_valid_until`.
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function rotateSecret(\WP_REST_Request $request)
    {
        $id = (int) $request['id'];
        $secret = $this->plugin->webhooks()->rotateSecret($id);
        if ($secret === null) {
            return self::webhookNotFound($id);
        }
        $until = null;
        foreach ((array) ($this->plugin->webhooks()->get($id, true)['secrets'] ?? []) as $s) {
            if (($s['secret'] ?? '') !== $secret && !empty($s['expires'])) {
                $until = max((int) $until, (int) $s['expires']);
            }
        }
        return new \WP_REST_Response([
            'secret' => $secret,
            'previous_valid_until' => $until === null ? null : gmdate('Y-m-d\TH:i:s\Z', $until),
        ]);
    }

    // ------------------------------------------------------------------ events

    /**
     * GET /events: the catalog.
     */
    public function listEvents(\WP_REST_Request $request): \WP_REST_Response
    {
        $out = [];
        foreach ($this->plugin->catalog()->all() as $e) {
            if (!empty($request['source']) && $e['source'] !== $request['source']) {
                continue;
            }
            $out[] = [
                'slug' => $e['slug'],
                'name' => $e['name'],
                'description' => $e['description'],
                'source' => $e['source'],
                'payload_example' => $e['payload'] === [] ? new \stdClass() : $e['payload'],
            ];
        }
        return new \WP_REST_Response($out);
    }

    /**
     * GET /events/<slug>/example: the example payload itself (Zapier's sample).
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function eventExample(\WP_REST_Request $request)
    {
        $slug = (string) $request['slug'];
        if (!$this->plugin->catalog()->has($slug)) {
            return new \WP_Error('multisite_webhooks_unknown_event',
                /* translators: %s: event slug */
                sprintf(__('There is no event called "%s".', 'multisite-webhooks'), $slug), ['status' => 404]);
        }
        // The bytes a receiver gets, decoded once for the JSON answer.
        return new \WP_REST_Response(json_decode(Payload::fromValue($this->plugin->catalog()->example($slug)) ?? '{}'));
    }

    // ------------------------------------------------------------------ deliveries

    /**
     * GET /deliveries: attempts, newest first.
     */
    public function listDeliveries(\WP_REST_Request $request): \WP_REST_Response
    {
        $this->plugin->importer()->run(self::IMPORT_BUDGET);
        $args = [];
        foreach (['webhook_id', 'event', 'status'] as $key) {
            if (!empty($request[$key])) {
                $args[$key] = $request[$key];
            }
        }
        foreach (['since', 'until'] as $key) {
            if (!empty($request[$key])) {
                $args[$key] = gmdate('Y-m-d H:i:s', (int) strtotime((string) $request[$key]));
            }
        }
        if ($request['is_test'] !== null) {
            $args['is_test'] = $request['is_test'] ? '1' : '0';
        }
        $total = $this->plugin->deliveries()->count($args);
        $per = (int) $request['per_page'];
        $items = $this->plugin->deliveries()->list($args + ['per_page' => $per, 'page' => (int) $request['page']]);
        return $this->paged(array_map(fn (array $d): array => $this->deliveryData($d, false), $items), $total, $per);
    }

    /**
     * GET /deliveries/<id>: one attempt with headers, response excerpt and payload.
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function getDelivery(\WP_REST_Request $request)
    {
        $this->plugin->importer()->run(self::IMPORT_BUDGET);
        $d = $this->plugin->deliveries()->get((int) $request['id']);
        if ($d === null) {
            return self::deliveryNotFound((int) $request['id']);
        }
        return new \WP_REST_Response($this->deliveryData($d, true));
    }

    /**
     * POST /deliveries/<id>/retry: queues the event again for its webhook (same webhook-id).
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function retryDelivery(\WP_REST_Request $request)
    {
        $result = $this->plugin->operations()->redeliver((int) $request['id']);
        if (is_wp_error($result)) {
            return $result;
        }
        return new \WP_REST_Response(['queued' => true], 202);
    }

    // ------------------------------------------------------------------ argument checks

    /**
     * validate_callback of `webhook_url`/`url`: the schema, then the plugin's URL rules.
     *
     * @param mixed $value
     * @return true|\WP_Error
     */
    public function validateUrlArg($value, \WP_REST_Request $request, string $param)
    {
        $valid = rest_validate_request_arg($value, $request, $param);
        if (is_wp_error($valid)) {
            return $valid;
        }
        [, $code] = UrlRule::normalize((string) $value);
        return $code === null ? true : new \WP_Error('rest_invalid_url', Messages::url($code), ['code' => $code]);
    }

    /**
     * validate_callback of a test send's `event`: the schema, then the slug must be registered
     * (only a registered event has an example payload to send).
     *
     * @param mixed $value
     * @return true|\WP_Error
     */
    public function validateEventArg($value, \WP_REST_Request $request, string $param)
    {
        $valid = rest_validate_request_arg($value, $request, $param);
        if (is_wp_error($valid)) {
            return $valid;
        }
        if ((string) $value !== '*' && !$this->plugin->catalog()->has((string) $value)) {
            /* translators: %s: event slug */
            return new \WP_Error('rest_invalid_event', sprintf(__('There is no event called "%s".', 'multisite-webhooks'), (string) $value));
        }
        return true;
    }

    /**
     * validate_callback of a webhook's `events`/`event`: the schema, then the rule every save
     * path applies (Webhooks::validate(): a known event, or one the webhook already hears).
     *
     * @param mixed $value
     * @return true|\WP_Error
     */
    public function validateEventsField($value, \WP_REST_Request $request, string $param)
    {
        $valid = rest_validate_request_arg($value, $request, $param);
        if (is_wp_error($valid)) {
            return $valid;
        }
        $hook = isset($request['id']) ? $this->plugin->webhooks()->get((int) $request['id']) : null;
        $fields = $this->plugin->webhooks()->validate(['events' => $value], true, [$this->plugin->catalog(), 'has'], $hook['events'] ?? []);
        $errors = is_wp_error($fields) ? $fields->get_error_messages('events') : [];
        return $errors === [] ? true : new \WP_Error('rest_invalid_event', implode(' ', $errors));
    }

    /**
     * validate_callback of `since`/`until`: any date strtotime() understands (GMT unless a zone is given).
     *
     * @param mixed $value
     * @return true|\WP_Error
     */
    public function validateDateArg($value, \WP_REST_Request $request, string $param)
    {
        $valid = rest_validate_request_arg($value, $request, $param);
        if (is_wp_error($valid)) {
            return $valid;
        }
        return strtotime((string) $value) === false
            ? new \WP_Error('rest_invalid_date', __('Give a date such as 2025-01-31T12:00:00Z.', 'multisite-webhooks'))
            : true;
    }

    // ------------------------------------------------------------------ shapes

    /**
     * A webhook as the API shows it: never its secrets.
     *
     * @param array<string, mixed> $h A row of Webhooks::get() without secrets.
     * @return array<string, mixed>
     */
    public function webhookData(array $h): array
    {
        $events = array_values((array) ($h['events'] ?? []));
        return [
            'id' => (int) $h['id'],
            'name' => (string) $h['name'],
            'webhook_url' => (string) $h['webhook_url'],
            'events' => $events,
            'event' => (string) ($events[0] ?? ''),
            // A webhook the engine disabled is not active (writing the object back keeps it off).
            'active' => $h['active'] && $h['disabled_reason'] === '',
            'status' => (string) $h['status'],
            'disabled_reason' => (string) $h['disabled_reason'],
            'url_checked' => (bool) $h['url_checked'],
            'payload_format' => (string) ($h['payload_format'] ?? 'flat'),
            'integration' => (string) ($h['integration'] ?? 'manual'),
            'hidden' => (bool) $h['hidden'],
            'event_count' => (int) $h['event_count'],
            'failure_count' => (int) $h['failure_count'],
            'date_created' => self::date($h['date_created'] ?? null),
            'date_modified' => self::date($h['date_modified'] ?? null),
            'date_last_failed' => self::date($h['date_last_failed'] ?? null),
            'date_last_delivery' => self::date($h['date_last_delivery'] ?? null),
            'last_status' => isset($h['last_status']) && $h['last_status'] !== '' ? (string) $h['last_status'] : null,
            'secret_rotating' => (bool) $h['secret_rotating'],
        ];
    }

    /**
     * An attempt as the API shows it; `$full` adds headers, response excerpt and payload.
     *
     * @param array<string, mixed> $d A row of Deliveries::get()/list().
     * @return array<string, mixed>
     */
    public function deliveryData(array $d, bool $full): array
    {
        $out = [
            'id' => (int) $d['id'],
            'webhook_id' => (int) $d['webhook_id'],
            'event' => (string) $d['event'],
            'event_id' => (string) $d['event_id'],
            'attempt_id' => (string) $d['attempt_id'],
            'attempt' => (int) $d['attempt'],
            'status' => (string) $d['outcome'],
            'status_code' => $d['status_code'],
            'error' => $d['error'] === null ? null : (string) $d['error'],
            'error_kind' => ($d['error_kind'] ?? null) === null ? null : (string) $d['error_kind'],
            'duration_ms' => (int) $d['duration_ms'],
            'url' => (string) $d['url'],
            'is_test' => (bool) $d['is_test'],
            'is_redelivery' => (bool) $d['is_redelivery'],
            'next_attempt_at' => self::date($d['next_attempt_at'] ?? null),
            'date_created' => self::date($d['date_created'] ?? null),
        ];
        if ($full) {
            $payload = $this->plugin->deliveries()->payload((string) $d['event_id']);
            $decoded = $payload === null ? null : json_decode($payload);
            $out += [
                'request_headers' => (object) $d['request_headers'],
                'response_headers' => (object) $d['response_headers'],
                'response_excerpt' => (string) ($d['response_excerpt'] ?? ''),
                'payload' => $decoded,
            ];
        }
        return $out;
    }

    /**
     * JSON schema of a webhook.
     *
     * @return array<string, mixed>
     */
    public function webhookSchema(): array
    {
        $date = ['type' => ['string', 'null'], 'format' => 'date-time', 'readonly' => true];
        return [
            '$schema' => 'http://json-schema.org/draft-04/schema#',
            'title' => 'multisite-webhook',
            'type' => 'object',
            'properties' => [
                'id' => ['type' => 'integer', 'readonly' => true],
                'name' => ['type' => 'string', 'minLength' => 2, 'maxLength' => 191],
                'webhook_url' => ['type' => 'string', 'format' => 'uri'],
                'events' => ['type' => 'array', 'items' => ['type' => 'string']],
                'event' => ['type' => 'string', 'description' => __('The first event (Ultimate Multisite compatible).', 'multisite-webhooks')],
                'active' => ['type' => 'boolean'],
                'status' => ['type' => 'string', 'enum' => Webhooks::STATUSES, 'readonly' => true],
                'disabled_reason' => ['type' => 'string', 'readonly' => true],
                'url_checked' => ['description' => __('Whether the engine\'s address check judged the URL (false: saved where no engine could ask; the first process with the engine checks it).', 'multisite-webhooks'), 'type' => 'boolean', 'readonly' => true],
                'payload_format' => ['type' => 'string', 'enum' => Webhooks::FORMATS],
                'integration' => ['type' => 'string'],
                'hidden' => ['type' => 'boolean'],
                'event_count' => ['type' => 'integer', 'readonly' => true],
                'failure_count' => ['type' => 'integer', 'readonly' => true],
                'date_created' => $date,
                'date_modified' => $date,
                'date_last_failed' => $date,
                'date_last_delivery' => $date,
                'last_status' => ['type' => ['string', 'null'], 'readonly' => true],
                'secret_rotating' => ['type' => 'boolean', 'readonly' => true],
                'secret' => ['type' => 'string', 'readonly' => true, 'description' => __('Signing secret; only in the response to create.', 'multisite-webhooks')],
            ],
        ];
    }

    /**
     * JSON schema of an event type.
     *
     * @return array<string, mixed>
     */
    public function eventSchema(): array
    {
        return [
            '$schema' => 'http://json-schema.org/draft-04/schema#',
            'title' => 'multisite-webhook-event',
            'type' => 'object',
            'properties' => [
                'slug' => ['type' => 'string', 'readonly' => true],
                'name' => ['type' => 'string', 'readonly' => true],
                'description' => ['type' => 'string', 'readonly' => true],
                'source' => ['type' => 'string', 'enum' => ['wordpress', 'ultimate-multisite', 'custom'], 'readonly' => true],
                'payload_example' => ['type' => 'object', 'readonly' => true],
            ],
        ];
    }

    /**
     * JSON schema of a delivery attempt.
     *
     * @return array<string, mixed>
     */
    public function deliverySchema(): array
    {
        $date = ['type' => ['string', 'null'], 'format' => 'date-time', 'readonly' => true];
        return [
            '$schema' => 'http://json-schema.org/draft-04/schema#',
            'title' => 'multisite-webhook-delivery',
            'type' => 'object',
            'properties' => [
                'id' => ['type' => 'integer', 'readonly' => true],
                'webhook_id' => ['type' => 'integer', 'readonly' => true],
                'event' => ['type' => 'string', 'readonly' => true],
                'event_id' => ['type' => 'string', 'readonly' => true],
                'attempt_id' => ['type' => 'string', 'readonly' => true],
                'attempt' => ['type' => 'integer', 'readonly' => true],
                'status' => ['type' => 'string', 'enum' => Deliveries::OUTCOMES, 'readonly' => true],
                'status_code' => ['type' => ['integer', 'null'], 'readonly' => true],
                'error' => ['type' => ['string', 'null'], 'readonly' => true],
                'duration_ms' => ['type' => 'integer', 'readonly' => true],
                'url' => ['type' => 'string', 'format' => 'uri', 'readonly' => true],
                'is_test' => ['type' => 'boolean', 'readonly' => true],
                'is_redelivery' => ['type' => 'boolean', 'readonly' => true],
                'next_attempt_at' => $date,
                'date_created' => $date,
                'request_headers' => ['type' => 'object', 'readonly' => true, 'context' => ['view']],
                'response_headers' => ['type' => 'object', 'readonly' => true, 'context' => ['view']],
                'response_excerpt' => ['type' => 'string', 'readonly' => true, 'context' => ['view']],
                'payload' => ['type' => ['object', 'array', 'null'], 'readonly' => true, 'context' => ['view']],
            ],
        ];
    }

    // ------------------------------------------------------------------ helpers

    /**
     * @return array<string, array<string, mixed>>
     */
    private function webhookListArgs(): array
    {
        return [
            'search' => ['description' => __('Text in the name, URL, events or integration.', 'multisite-webhooks'), 'type' => 'string', 'sanitize_callback' => 'sanitize_text_field'],
            'event' => ['description' => __('Only webhooks subscribed to this event.', 'multisite-webhooks'), 'type' => 'string', 'pattern' => '^[A-Za-z0-9_.:\-*]{1,191}$'],
            'active' => ['description' => __('Only active (true) or inactive (false) webhooks.', 'multisite-webhooks'), 'type' => 'boolean'],
            'integration' => ['description' => __('Only webhooks of this integration (manual, zapier, ...).', 'multisite-webhooks'), 'type' => 'string', 'sanitize_callback' => 'sanitize_key'],
        ] + self::pagingArgs() + [
            'orderby' => ['description' => __('Sort column.', 'multisite-webhooks'), 'type' => 'string', 'enum' => self::WEBHOOK_ORDERBY, 'default' => 'id'],
            'order' => ['description' => __('Sort direction.', 'multisite-webhooks'), 'type' => 'string', 'enum' => ['asc', 'desc'], 'default' => 'asc'],
        ];
    }

    /**
     * Writable webhook fields; for create the required ones and defaults are set.
     *
     * @return array<string, array<string, mixed>>
     */
    private function webhookFieldArgs(bool $create): array
    {
        $args = [
            'name' => ['description' => __('Name shown in the network admin.', 'multisite-webhooks'), 'type' => 'string', 'maxLength' => 191],
            'webhook_url' => ['description' => __('The http(s) URL that receives the events.', 'multisite-webhooks'), 'type' => 'string', 'format' => 'uri', 'validate_callback' => [$this, 'validateUrlArg']],
            'url' => ['description' => __('Alias of webhook_url.', 'multisite-webhooks'), 'type' => 'string', 'format' => 'uri', 'validate_callback' => [$this, 'validateUrlArg']],
            'events' => ['description' => __('Event slugs ("*" = every event).', 'multisite-webhooks'), 'type' => 'array', 'items' => ['type' => 'string'], 'minItems' => 1, 'validate_callback' => [$this, 'validateEventsField']],
            'event' => ['description' => __('One event slug, or several separated by commas (Ultimate Multisite compatible).', 'multisite-webhooks'), 'type' => 'string', 'validate_callback' => [$this, 'validateEventsField']],
            'active' => ['description' => __('Whether events are sent.', 'multisite-webhooks'), 'type' => 'boolean'],
            'payload_format' => ['description' => __('"flat" (the payload itself) or "envelope" (type, timestamp, data).', 'multisite-webhooks'), 'type' => 'string', 'enum' => Webhooks::FORMATS],
            'integration' => ['description' => __('What created the webhook (manual, zapier, ...).', 'multisite-webhooks'), 'type' => 'string', 'sanitize_callback' => 'sanitize_key'],
            'hidden' => ['description' => __('Hide the webhook from the network admin list.', 'multisite-webhooks'), 'type' => 'boolean'],
        ];
        if ($create) {
            $args['name']['required'] = true;
            $args['active']['default'] = true;
            $args['payload_format']['default'] = 'flat';
            $args['integration']['default'] = 'manual';
            $args['hidden']['default'] = false;
        }
        return $args;
    }

    /**
     * @return array<string, array<string, mixed>>
     */
    private function deliveryListArgs(): array
    {
        return [
            'webhook_id' => ['description' => __('Only attempts for this webhook.', 'multisite-webhooks'), 'type' => 'integer', 'minimum' => 1],
            'event' => ['description' => __('Only attempts of this event.', 'multisite-webhooks'), 'type' => 'string', 'pattern' => '^[A-Za-z0-9_.:\-]{1,191}$'],
            'status' => ['description' => __('Outcome; "failing" = failed or retrying.', 'multisite-webhooks'), 'type' => 'string', 'enum' => self::DELIVERY_STATUSES],
            'since' => ['description' => __('Attempts made at or after this time (GMT unless a zone is given).', 'multisite-webhooks'), 'type' => 'string', 'validate_callback' => [$this, 'validateDateArg']],
            'until' => ['description' => __('Attempts made at or before this time (GMT unless a zone is given).', 'multisite-webhooks'), 'type' => 'string', 'validate_callback' => [$this, 'validateDateArg']],
            'is_test' => ['description' => __('Only test sends (true) or only real events (false).', 'multisite-webhooks'), 'type' => 'boolean'],
        ] + self::pagingArgs();
    }

    /**
     * @return array<string, array<string, mixed>>
     */
    private static function pagingArgs(): array
    {
        return [
            'page' => ['description' => __('Page of the collection.', 'multisite-webhooks'), 'type' => 'integer', 'minimum' => 1, 'default' => 1],
            'per_page' => ['description' => __('Items per page.', 'multisite-webhooks'), 'type' => 'integer', 'minimum' => 1, 'maximum' => 100, 'default' => 20],
        ];
    }

    /**
     * The webhook fields present in a request, as Webhooks::validate() takes them.
     *
     * @return array<string, mixed>
     */
    private function webhookInput(\WP_REST_Request $request): array
    {
        $data = [];
        foreach (['name', 'webhook_url', 'events', 'event', 'active', 'payload_format', 'integration', 'hidden'] as $key) {
            if ($request->has_param($key) && $request[$key] !== null) {
                $data[$key] = $request[$key];
            }
        }
        if (!isset($data['webhook_url']) && $request->has_param('url') && $request['url'] !== null) {
            $data['webhook_url'] = $request['url'];
        }
        return $data;
    }

    /**
     * A collection response with WordPress's paging headers.
     *
     * @param list<array<string, mixed>> $items
     */
    private function paged(array $items, int $total, int $per): \WP_REST_Response
    {
        $response = new \WP_REST_Response($items);
        $response->header('X-WP-Total', (string) $total);
        $response->header('X-WP-TotalPages', (string) (int) ceil($total / max(1, $per)));
        return $response;
    }

    /**
     * Errors of Webhooks::validate() (keyed by field) as WordPress's own parameter errors.
     */
    private static function invalid(\WP_Error $errors): \WP_Error
    {
        $params = [];
        foreach ($errors->get_error_codes() as $field) {
            $params[(string) $field] = implode(' ', $errors->get_error_messages($field));
        }
        return new \WP_Error('rest_invalid_param',
            /* translators: %s: comma-separated field names */
            sprintf(__('Invalid parameter(s): %s', 'multisite-webhooks'), implode(', ', array_keys($params))),
            ['status' => 400, 'params' => $params]);
    }

    private static function webhookNotFound(int $id): \WP_Error
    {
        /* translators: %d: webhook id */
        return new \WP_Error('multisite_webhooks_not_found', sprintf(__('There is no webhook %d.', 'multisite-webhooks'), $id), ['status' => 404]);
    }

    private static function deliveryNotFound(int $id): \WP_Error
    {
        /* translators: %d: delivery id */
        return new \WP_Error('multisite_webhooks_not_found', sprintf(__('There is no delivery %d.', 'multisite-webhooks'), $id), ['status' => 404]);
    }

    /**
     * A GMT MySQL date as ISO 8601 (`2025-01-31T12:00:00Z`), or null.
     *
     * @param mixed $value
     */
    private static function date($value): ?string
    {
        if (!is_string($value) || $value === '' || strpos($value, '0000-00-00') === 0) {
            return null;
        }
        $t = strtotime($value . ' UTC');
        return $t === false ? null : gmdate('Y-m-d\TH:i:s\Z', $t);
    }
}
