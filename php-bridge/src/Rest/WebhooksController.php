<?php
/**
 * REST resource `webhooks`: list, create, read, update and delete webhooks, send a test
 * event, rotate the signing secret.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Rest;

use MultisiteWebhooks\Messages;
use MultisiteWebhooks\Store\Webhooks;
use MultisiteWebhooks\UrlRule;

/**
 * `/webhooks`, `/webhooks/<id>`, `/webhooks/<id>/test`, `/webhooks/<id>/rotate-secret`.
 * Secrets are never part of a webhook as shown: only the answers to create and rotate carry
 * one, once.
 */
final class WebhooksController extends Controller
{
    /** @var string */
    protected $rest_base = 'webhooks';

    /**
     * Registers the routes (called on `rest_api_init`).
     */
    public function register_routes(): void
    {
        $id = self::idArg(__('Webhook id.', 'multisite-webhooks'));
        $schema = [$this, 'get_public_item_schema'];
        register_rest_route($this->namespace, '/' . $this->rest_base, [
            $this->readEndpoint($this->get_collection_params(), false),
            [
                'methods' => \WP_REST_Server::CREATABLE,
                'callback' => [$this, 'create_item'],
                'permission_callback' => [$this, 'create_item_permissions_check'],
                'args' => $this->writableArgs(true),
            ],
            'schema' => $schema,
        ]);
        register_rest_route($this->namespace, '/' . $this->rest_base . '/(?P<id>\d+)', [
            $this->readEndpoint($id + ['context' => $this->get_context_param(['default' => 'view'])], true),
            [
                'methods' => \WP_REST_Server::EDITABLE,
                'callback' => [$this, 'update_item'],
                'permission_callback' => [$this, 'update_item_permissions_check'],
                'args' => $id + $this->writableArgs(false),
            ],
            [
                'methods' => \WP_REST_Server::DELETABLE,
                'callback' => [$this, 'delete_item'],
                'permission_callback' => [$this, 'delete_item_permissions_check'],
                'args' => $id,
            ],
            'schema' => $schema,
        ]);
        register_rest_route($this->namespace, '/' . $this->rest_base . '/(?P<id>\d+)/test', [
            'methods' => \WP_REST_Server::CREATABLE,
            'callback' => [$this, 'send_test'],
            'permission_callback' => [$this, 'update_item_permissions_check'],
            'args' => $id + [
                'event' => [
                    'description' => __('The event whose example payload is sent (default: the webhook\'s first event).', 'multisite-webhooks'),
                    'type' => 'string',
                    'validate_callback' => [$this, 'validateEventArg'],
                ],
            ],
        ]);
        register_rest_route($this->namespace, '/' . $this->rest_base . '/(?P<id>\d+)/rotate-secret', [
            'methods' => \WP_REST_Server::CREATABLE,
            'callback' => [$this, 'rotate_secret'],
            'permission_callback' => [$this, 'update_item_permissions_check'],
            'args' => $id,
        ]);
    }

    /**
     * GET /webhooks
     *
     * @param \WP_REST_Request $request
     * @return \WP_REST_Response
     */
    public function get_items($request)
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
        $store = $this->plugin->webhooks();
        $per = (int) $request['per_page'];
        $items = [];
        foreach ($store->list($args + ['per_page' => $per, 'page' => (int) $request['page']]) as $hook) {
            $items[] = $this->prepare_item_for_response($hook, $request);
        }
        return $this->paged($items, $store->count($args), $per);
    }

    /**
     * GET /webhooks/<id>
     *
     * @param \WP_REST_Request $request
     * @return \WP_REST_Response|\WP_Error
     */
    public function get_item($request)
    {
        $hook = $this->plugin->webhooks()->get((int) $request['id']);
        return $hook === null ? self::webhookNotFound((int) $request['id']) : $this->prepare_item_for_response($hook, $request);
    }

    /**
     * POST /webhooks: 201 with the webhook and its signing secret (shown only here).
     *
     * @param \WP_REST_Request $request
     * @return \WP_REST_Response|\WP_Error
     */
    public function create_item($request)
    {
        $created = $this->plugin->operations()->saveWebhook(null, $this->webhookInput($request));
        if (is_wp_error($created)) {
            return self::invalid($created);
        }
        $hook = $this->plugin->webhooks()->get($created['id']);
        if ($hook === null) {
            return new \WP_Error('multisite_webhooks_not_saved', __('The webhook could not be saved.', 'multisite-webhooks'), ['status' => 500]);
        }
        $request->set_param('context', 'edit');
        $response = $this->prepare_item_for_response($hook, $request);
        $response->set_data((array) $response->get_data() + ['secret' => $created['secret']]);
        $response->set_status(201);
        $response->header('Location', rest_url($this->collectionRoute() . '/' . $created['id']));
        return $response;
    }

    /**
     * PUT/PATCH /webhooks/<id>: changes only the fields given.
     *
     * @param \WP_REST_Request $request
     * @return \WP_REST_Response|\WP_Error
     */
    public function update_item($request)
    {
        $id = (int) $request['id'];
        if ($this->plugin->webhooks()->get($id) === null) {
            return self::webhookNotFound($id);
        }
        $saved = $this->plugin->operations()->saveWebhook($id, $this->webhookInput($request));
        if (is_wp_error($saved)) {
            return self::invalid($saved);
        }
        $request->set_param('context', 'edit');
        return $this->prepare_item_for_response((array) $this->plugin->webhooks()->get($id), $request);
    }

    /**
     * DELETE /webhooks/<id> (a REST Hooks unsubscribe): `deleted` and the `previous` webhook.
     *
     * @param \WP_REST_Request $request
     * @return \WP_REST_Response|\WP_Error
     */
    public function delete_item($request)
    {
        $id = (int) $request['id'];
        $hook = $this->plugin->webhooks()->get($id);
        if ($hook === null) {
            return self::webhookNotFound($id);
        }
        $request->set_param('context', 'edit');
        $previous = $this->prepare_item_for_response($hook, $request);
        if (!$this->plugin->webhooks()->delete($id)) {
            return new \WP_Error('multisite_webhooks_not_deleted', __('The webhook could not be deleted.', 'multisite-webhooks'), ['status' => 500]);
        }
        return new \WP_REST_Response(['deleted' => true, 'previous' => $previous->get_data()]);
    }

    /**
     * POST /webhooks/<id>/test: one signed request now. 200 with `ok` false when the
     * receiver failed; errors of our own (unknown webhook or event, no engine) keep their status.
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function send_test(\WP_REST_Request $request)
    {
        $event = $request['event'];
        $result = $this->plugin->operations()->sendTest((int) $request['id'], is_string($event) && $event !== '' ? $event : null);
        return is_wp_error($result) ? $result : new \WP_REST_Response($result);
    }

    /**
     * POST /webhooks/<id>/rotate-secret: the new secret (shown only here); the previous one
     * keeps signing until `previous_valid_until`.
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function rotate_secret(\WP_REST_Request $request)
    {
        $id = (int) $request['id'];
        $secret = $this->plugin->webhooks()->rotateSecret($id);
        if ($secret === null) {
            return self::webhookNotFound($id);
        }
        $until = Webhooks::previousValidUntil((array) ($this->plugin->webhooks()->get($id, true)['secrets'] ?? []));
        return new \WP_REST_Response([
            'secret' => $secret,
            'previous_valid_until' => $until === null ? null : gmdate('Y-m-d\TH:i:s\Z', $until),
        ]);
    }

    /**
     * A webhook as the API shows it: never its secrets, the values of its own headers or
     * credentials in its URL (masked; written back as read, they keep what is stored).
     *
     * @param array<string, mixed> $item    A row of Webhooks::get() without secrets.
     * @param \WP_REST_Request     $request
     * @return \WP_REST_Response
     */
    public function prepare_item_for_response($item, $request)
    {
        $h = $item;
        $events = array_values((array) ($h['events'] ?? []));
        $data = [
            'id' => (int) $h['id'],
            'name' => (string) $h['name'],
            'webhook_url' => (string) $h['webhook_url'],
            'headers' => (object) ($h['headers'] ?? []),
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
        return $this->respond($data, $request, $this->prepare_links($data['id']));
    }

    /**
     * Links of a webhook: itself, the collection, and its delivery log (embeddable).
     *
     * @return array<string, array<string, mixed>>
     */
    protected function prepare_links(int $id): array
    {
        return [
            'self' => ['href' => rest_url($this->collectionRoute() . '/' . $id)],
            'collection' => ['href' => rest_url($this->collectionRoute())],
            'deliveries' => ['href' => add_query_arg('webhook_id', $id, rest_url('/' . $this->namespace . '/deliveries')), 'embeddable' => true],
        ];
    }

    /**
     * JSON schema of a webhook.
     *
     * @return array<string, mixed>
     */
    public function get_item_schema()
    {
        if ($this->schema) {
            return $this->add_additional_fields_schema($this->schema);
        }
        $all = self::ALL_CONTEXTS;
        $full = self::FULL_CONTEXTS;
        $this->schema = [
            '$schema' => 'http://json-schema.org/draft-04/schema#',
            'title' => 'multisite-webhook',
            'type' => 'object',
            'properties' => [
                'id' => ['description' => __('Webhook id.', 'multisite-webhooks'), 'type' => 'integer', 'readonly' => true, 'context' => $all],
                'name' => ['description' => __('Name shown in the network admin.', 'multisite-webhooks'), 'type' => 'string', 'minLength' => 2, 'maxLength' => 191, 'context' => $all],
                'webhook_url' => ['description' => __('The http(s) URL that receives the events.', 'multisite-webhooks'), 'type' => 'string', 'format' => 'uri', 'context' => $all],
                'events' => ['description' => __('Event slugs ("*" = every event).', 'multisite-webhooks'), 'type' => 'array', 'items' => ['type' => 'string'], 'context' => $all],
                'headers' => [
                    'description' => __(
                        'Headers sent with every request (e.g. Authorization), by name. Their values are never shown: they read as "***", and "***" written back keeps the saved value.',
                        'multisite-webhooks'
                    ),
                    'type' => 'object',
                    'additionalProperties' => ['type' => 'string'],
                    'context' => $full,
                ],
                'event' => ['description' => __('The first event (Ultimate Multisite compatible).', 'multisite-webhooks'), 'type' => 'string', 'context' => $full],
                'active' => ['description' => __('Whether events are sent.', 'multisite-webhooks'), 'type' => 'boolean', 'context' => $all],
                'status' => [
                    'description' => __('Receives events (active), turned off (inactive), or turned off by the engine (disabled).', 'multisite-webhooks'),
                    'type' => 'string',
                    'enum' => Webhooks::STATUSES,
                    'readonly' => true,
                    'context' => $all,
                ],
                'disabled_reason' => ['description' => __('Why the engine turned the webhook off.', 'multisite-webhooks'), 'type' => 'string', 'readonly' => true, 'context' => $full],
                'url_checked' => [
                    'description' => __(
                        'Whether the engine\'s address check judged the URL (false: saved where no engine could ask; the first process with the engine checks it).',
                        'multisite-webhooks'
                    ),
                    'type' => 'boolean',
                    'readonly' => true,
                    'context' => $full,
                ],
                'payload_format' => [
                    'description' => __('"flat" (the payload itself) or "envelope" (type, timestamp, data).', 'multisite-webhooks'),
                    'type' => 'string',
                    'enum' => Webhooks::FORMATS,
                    'context' => $full,
                ],
                'integration' => ['description' => __('What created the webhook (manual, zapier, ...).', 'multisite-webhooks'), 'type' => 'string', 'context' => $full],
                'hidden' => [
                    'description' => __('Ultimate Multisite\'s mark for a webhook an integration (Zapier) made. The network admin still sees it, marked.', 'multisite-webhooks'),
                    'type' => 'boolean',
                    'context' => $full,
                ],
                'event_count' => ['description' => __('Deliveries made.', 'multisite-webhooks'), 'type' => 'integer', 'readonly' => true, 'context' => $full],
                'failure_count' => ['description' => __('Failed attempts.', 'multisite-webhooks'), 'type' => 'integer', 'readonly' => true, 'context' => $full],
                'date_created' => self::dateProperty(__('When the webhook was created (GMT).', 'multisite-webhooks')),
                'date_modified' => self::dateProperty(__('When the webhook was last changed (GMT).', 'multisite-webhooks')),
                'date_last_failed' => self::dateProperty(__('The last failed attempt (GMT).', 'multisite-webhooks')),
                'date_last_delivery' => self::dateProperty(__('The last attempt (GMT).', 'multisite-webhooks')),
                'last_status' => ['description' => __('Outcome of the last attempt.', 'multisite-webhooks'), 'type' => ['string', 'null'], 'readonly' => true, 'context' => $full],
                'secret_rotating' => [
                    'description' => __('Whether a rotated-out secret still signs beside the new one.', 'multisite-webhooks'),
                    'type' => 'boolean',
                    'readonly' => true,
                    'context' => $full,
                ],
                'secret' => ['description' => __('Signing secret; only in the response to create.', 'multisite-webhooks'), 'type' => 'string', 'readonly' => true, 'context' => ['edit']],
            ],
        ];
        return $this->add_additional_fields_schema($this->schema);
    }

    /**
     * Query parameters of GET /webhooks.
     *
     * @return array<string, array<string, mixed>>
     */
    public function get_collection_params()
    {
        return [
            'context' => $this->get_context_param(['default' => 'view']),
            'search' => ['description' => __('Text in the name, URL, events or integration.', 'multisite-webhooks'), 'type' => 'string', 'sanitize_callback' => 'sanitize_text_field'],
            'event' => ['description' => __('Only webhooks subscribed to this event.', 'multisite-webhooks'), 'type' => 'string', 'pattern' => '^[A-Za-z0-9_.:\-*]{1,191}$'],
            'active' => ['description' => __('Only active (true) or inactive (false) webhooks.', 'multisite-webhooks'), 'type' => 'boolean'],
            'integration' => ['description' => __('Only webhooks of this integration (manual, zapier, ...).', 'multisite-webhooks'), 'type' => 'string', 'sanitize_callback' => 'sanitize_key'],
        ] + self::pagingParams() + [
            'orderby' => ['description' => __('Sort column.', 'multisite-webhooks'), 'type' => 'string', 'enum' => Webhooks::ORDERBY, 'default' => 'id'],
            'order' => ['description' => __('Sort direction.', 'multisite-webhooks'), 'type' => 'string', 'enum' => ['asc', 'desc'], 'default' => 'asc'],
        ];
    }

    /**
     * Writable webhook fields; for create the required ones and defaults are set.
     *
     * @return array<string, array<string, mixed>>
     */
    private function writableArgs(bool $create): array
    {
        $props = $this->get_item_schema()['properties'];
        $arg = static function (string $field, array $extra = []) use ($props): array {
            return array_intersect_key($props[$field], ['description' => 1, 'type' => 1, 'items' => 1, 'enum' => 1, 'format' => 1]) + $extra;
        };
        $args = [
            'name' => $arg('name', ['maxLength' => 191]),
            'webhook_url' => $arg('webhook_url', ['validate_callback' => [$this, 'validateUrlArg']]),
            'url' => ['description' => __('Alias of webhook_url.', 'multisite-webhooks'), 'type' => 'string', 'format' => 'uri', 'validate_callback' => [$this, 'validateUrlArg']],
            'events' => $arg('events', ['minItems' => 1, 'validate_callback' => [$this, 'validateEventsField']]),
            'headers' => array_intersect_key($props['headers'], ['description' => 1, 'type' => 1, 'additionalProperties' => 1]),
            'event' => [
                'description' => __('One event slug, or several separated by commas (Ultimate Multisite compatible).', 'multisite-webhooks'),
                'type' => 'string',
                'validate_callback' => [$this, 'validateEventsField'],
            ],
            'active' => $arg('active'),
            'payload_format' => $arg('payload_format'),
            'integration' => $arg('integration', ['sanitize_callback' => 'sanitize_key']),
            'hidden' => $arg('hidden'),
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
     * The webhook fields present in a request, as Webhooks::validate() takes them.
     *
     * @return array<string, mixed>
     */
    private function webhookInput(\WP_REST_Request $request): array
    {
        $data = [];
        foreach (['name', 'webhook_url', 'headers', 'events', 'event', 'active', 'payload_format', 'integration', 'hidden'] as $key) {
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
     * Errors of Webhooks::validate() (keyed by field) as WordPress's own parameter errors.
     */
    private static function invalid(\WP_Error $errors): \WP_Error
    {
        $params = [];
        foreach ($errors->get_error_codes() as $field) {
            $params[(string) $field] = implode(' ', $errors->get_error_messages($field));
        }
        return new \WP_Error(
            'rest_invalid_param',
            /* translators: %s: comma-separated field names */
            sprintf(__('Invalid parameter(s): %s', 'multisite-webhooks'), implode(', ', array_keys($params))),
            ['status' => 400, 'params' => $params]
        );
    }

    private static function webhookNotFound(int $id): \WP_Error
    {
        /* translators: %d: webhook id */
        return self::notFound(__('There is no webhook %d.', 'multisite-webhooks'), $id);
    }
}
