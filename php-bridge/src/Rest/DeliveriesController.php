<?php
/**
 * REST resource `deliveries`: the delivery log (one entry per attempt), and sending a logged
 * event again.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Rest;

use MultisiteWebhooks\Store\Deliveries;

/**
 * `/deliveries`, `/deliveries/<id>`, `/deliveries/<id>/retry`. A listing is a summary; one
 * attempt read by its id adds the headers, the response excerpt and the payload.
 */
final class DeliveriesController extends Controller
{
    /** Seconds the delivery log importer may spend before a delivery listing. */
    private const IMPORT_BUDGET = 0.5;

    /** Fields of the delivery log's record (Deliveries::ATTEMPT_FIELDS) the API names otherwise. */
    public const RENAMED = ['outcome' => 'status'];

    /** @var string */
    protected $rest_base = 'deliveries';

    /**
     * Registers the routes (called on `rest_api_init`).
     */
    public function register_routes(): void
    {
        $id = self::idArg(__('Delivery (attempt) id.', 'multisite-webhooks'));
        register_rest_route($this->namespace, '/' . $this->rest_base, [
            $this->readEndpoint($this->get_collection_params(), false),
            'schema' => [$this, 'get_public_item_schema'],
        ]);
        register_rest_route($this->namespace, '/' . $this->rest_base . '/(?P<id>\d+)', [
            $this->readEndpoint($id + ['context' => $this->get_context_param(['default' => 'view'])], true),
            'schema' => [$this, 'get_public_item_schema'],
        ]);
        register_rest_route($this->namespace, '/' . $this->rest_base . '/(?P<id>\d+)/retry', [
            'methods' => \WP_REST_Server::CREATABLE,
            'callback' => [$this, 'retry_item'],
            'permission_callback' => [$this, 'update_item_permissions_check'],
            'args' => $id,
        ]);
    }

    /**
     * GET /deliveries: attempts, newest first.
     *
     * @param \WP_REST_Request $request
     * @return \WP_REST_Response
     */
    public function get_items($request)
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
        $store = $this->plugin->deliveries();
        $per = (int) $request['per_page'];
        $items = [];
        foreach ($store->list($args + ['per_page' => $per, 'page' => (int) $request['page']]) as $d) {
            $items[] = $this->prepare_item_for_response($d, $request);
        }
        return $this->paged($items, $store->count($args), $per);
    }

    /**
     * GET /deliveries/<id>: one attempt with headers, response excerpt and payload.
     *
     * @param \WP_REST_Request $request
     * @return \WP_REST_Response|\WP_Error
     */
    public function get_item($request)
    {
        $this->plugin->importer()->run(self::IMPORT_BUDGET);
        $d = $this->plugin->deliveries()->get((int) $request['id']);
        if ($d === null) {
            /* translators: %d: delivery id */
            return self::notFound(__('There is no delivery %d.', 'multisite-webhooks'), (int) $request['id']);
        }
        return $this->prepare_item_for_response($d, $request);
    }

    /**
     * POST /deliveries/<id>/retry: queues the event again for its webhook (same webhook-id).
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function retry_item(\WP_REST_Request $request)
    {
        $result = $this->plugin->operations()->redeliver((int) $request['id']);
        return is_wp_error($result) ? $result : new \WP_REST_Response(['queued' => true], 202);
    }

    /**
     * An attempt as the API shows it; read by its id (`/deliveries/<id>`), with headers,
     * response excerpt and payload.
     *
     * @param array<string, mixed> $item    A row of Deliveries::get()/list().
     * @param \WP_REST_Request     $request
     * @return \WP_REST_Response
     */
    public function prepare_item_for_response($item, $request)
    {
        $data = [];
        foreach (Deliveries::attempt($item, $this->readsOne($request)) as $field => $value) {
            // The API's names for the record's fields: `status` for the outcome, ISO 8601 dates.
            $data[self::RENAMED[$field] ?? $field] = in_array($field, ['date_created', 'next_attempt_at'], true) ? self::date($value)
                : (in_array($field, ['request_headers', 'response_headers'], true) ? (object) $value : $value);
        }
        if ($this->readsOne($request)) {
            $payload = $this->plugin->deliveries()->payload((string) $item['event_id']);
            $data['payload'] = $payload === null ? null : json_decode($payload);
        }
        return $this->respond($data, $request, $this->prepare_links($data));
    }

    /**
     * Whether the request reads one attempt by its id (not a listing, not an embed of one).
     */
    private function readsOne(\WP_REST_Request $request): bool
    {
        return isset($request['id']) && preg_match('#/' . $this->rest_base . '/\d+$#', $request->get_route()) === 1;
    }

    /**
     * Links of an attempt: itself, the log, and its webhook (embeddable) when it had one.
     *
     * @param array<string, mixed> $data
     * @return array<string, array<string, mixed>>
     */
    protected function prepare_links(array $data): array
    {
        $links = [
            'self' => ['href' => rest_url($this->collectionRoute() . '/' . $data['id'])],
            'collection' => ['href' => rest_url($this->collectionRoute())],
        ];
        if ($data['webhook_id'] > 0) {
            $links['webhook'] = ['href' => rest_url('/' . $this->namespace . '/webhooks/' . $data['webhook_id']), 'embeddable' => true];
        }
        return $links;
    }

    /**
     * JSON schema of a delivery attempt.
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
        $one = __('Only when one attempt is read by its id.', 'multisite-webhooks');
        $this->schema = [
            '$schema' => 'http://json-schema.org/draft-04/schema#',
            'title' => 'multisite-webhook-delivery',
            'type' => 'object',
            'properties' => [
                'id' => ['description' => __('Delivery (attempt) id.', 'multisite-webhooks'), 'type' => 'integer', 'readonly' => true, 'context' => $all],
                'webhook_id' => [
                    'description' => __('The webhook it was sent to (0: refused before any webhook got it).', 'multisite-webhooks'),
                    'type' => 'integer',
                    'readonly' => true,
                    'context' => $all,
                ],
                'event' => ['description' => __('Event slug.', 'multisite-webhooks'), 'type' => 'string', 'readonly' => true, 'context' => $all],
                'event_id' => ['description' => __('The webhook-id receivers see, the same on every attempt.', 'multisite-webhooks'), 'type' => 'string', 'readonly' => true, 'context' => $all],
                'attempt_id' => ['description' => __('Id of this attempt.', 'multisite-webhooks'), 'type' => 'string', 'readonly' => true, 'context' => $full],
                'attempt' => ['description' => __('Attempt number.', 'multisite-webhooks'), 'type' => 'integer', 'readonly' => true, 'context' => $all],
                'status' => ['description' => __('Outcome of the attempt.', 'multisite-webhooks'), 'type' => 'string', 'enum' => Deliveries::OUTCOMES, 'readonly' => true, 'context' => $all],
                'status_code' => ['description' => __('HTTP status of the answer, if any.', 'multisite-webhooks'), 'type' => ['integer', 'null'], 'readonly' => true, 'context' => $all],
                'error' => ['description' => __('Why it failed, in the engine\'s words.', 'multisite-webhooks'), 'type' => ['string', 'null'], 'readonly' => true, 'context' => $full],
                'error_kind' => ['description' => __('Why it failed, as a machine word.', 'multisite-webhooks'), 'type' => ['string', 'null'], 'readonly' => true, 'context' => $full],
                'duration_ms' => ['description' => __('How long the attempt took.', 'multisite-webhooks'), 'type' => 'integer', 'readonly' => true, 'context' => $full],
                'url' => ['description' => __('The URL the attempt went to.', 'multisite-webhooks'), 'type' => 'string', 'format' => 'uri', 'readonly' => true, 'context' => $full],
                'is_test' => ['description' => __('A test send.', 'multisite-webhooks'), 'type' => 'boolean', 'readonly' => true, 'context' => $full],
                'is_redelivery' => ['description' => __('A redelivery asked for by a person.', 'multisite-webhooks'), 'type' => 'boolean', 'readonly' => true, 'context' => $full],
                'next_attempt_at' => self::dateProperty(__('When it is tried again (GMT), if it is.', 'multisite-webhooks')),
                'date_created' => self::dateProperty(__('When the attempt was made (GMT).', 'multisite-webhooks'), $all),
                'request_headers' => ['description' => $one, 'type' => 'object', 'readonly' => true, 'context' => $full],
                'response_headers' => ['description' => $one, 'type' => 'object', 'readonly' => true, 'context' => $full],
                'response_excerpt' => ['description' => $one, 'type' => 'string', 'readonly' => true, 'context' => $full],
                'payload' => ['description' => $one, 'type' => ['object', 'array', 'null'], 'readonly' => true, 'context' => $full],
            ],
        ];
        return $this->add_additional_fields_schema($this->schema);
    }

    /**
     * Query parameters of GET /deliveries.
     *
     * @return array<string, array<string, mixed>>
     */
    public function get_collection_params()
    {
        return [
            'context' => $this->get_context_param(['default' => 'view']),
            'webhook_id' => ['description' => __('Only attempts for this webhook.', 'multisite-webhooks'), 'type' => 'integer', 'minimum' => 1],
            'event' => ['description' => __('Only attempts of this event.', 'multisite-webhooks'), 'type' => 'string', 'pattern' => '^[A-Za-z0-9_.:\-]{1,191}$'],
            'status' => ['description' => __('Outcome; "failing" = failed or retrying.', 'multisite-webhooks'), 'type' => 'string', 'enum' => Deliveries::STATUS_FILTERS],
            'since' => [
                'description' => __('Attempts made at or after this time (GMT unless a zone is given).', 'multisite-webhooks'),
                'type' => 'string',
                'validate_callback' => [$this, 'validateDateArg'],
            ],
            'until' => [
                'description' => __('Attempts made at or before this time (GMT unless a zone is given).', 'multisite-webhooks'),
                'type' => 'string',
                'validate_callback' => [$this, 'validateDateArg'],
            ],
            'is_test' => ['description' => __('Only test sends (true) or only real events (false).', 'multisite-webhooks'), 'type' => 'boolean'],
        ] + self::pagingParams();
    }
}
