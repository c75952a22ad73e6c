<?php
/**
 * REST resource `events`: the event catalog, and each event's example payload.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Rest;

use MultisiteWebhooks\Events\Catalog;
use MultisiteWebhooks\Payload;

/**
 * `/events` and `/events/<slug>/example` (the sample Zapier shows while a Zap is set up).
 */
final class EventsController extends Controller
{
    /** @var string */
    protected $rest_base = 'events';

    /**
     * Registers the routes (called on `rest_api_init`).
     */
    public function register_routes(): void
    {
        register_rest_route($this->namespace, '/' . $this->rest_base, [
            $this->readEndpoint($this->get_collection_params(), false),
            'schema' => [$this, 'get_public_item_schema'],
        ]);
        register_rest_route($this->namespace, '/' . $this->rest_base . '/(?P<slug>[A-Za-z0-9_.:\-]+)/example', [
            'methods' => \WP_REST_Server::READABLE,
            'callback' => [$this, 'get_example'],
            'permission_callback' => [$this, 'get_item_permissions_check'],
            'args' => [
                'slug' => ['description' => __('Event slug.', 'multisite-webhooks'), 'type' => 'string', 'pattern' => '^[A-Za-z0-9_.:\-]{1,191}$', 'required' => true],
            ],
        ]);
    }

    /**
     * GET /events: the catalog (every event, not paged).
     *
     * @param \WP_REST_Request $request
     * @return \WP_REST_Response
     */
    public function get_items($request)
    {
        $out = [];
        foreach ($this->plugin->catalog()->all() as $e) {
            if (empty($request['source']) || $e['source'] === $request['source']) {
                $out[] = $this->prepare_response_for_collection($this->prepare_item_for_response($e, $request));
            }
        }
        return new \WP_REST_Response($out);
    }

    /**
     * GET /events/<slug>/example: the example payload itself (Zapier's sample).
     *
     * @return \WP_REST_Response|\WP_Error
     */
    public function get_example(\WP_REST_Request $request)
    {
        $slug = (string) $request['slug'];
        if (!$this->plugin->catalog()->has($slug)) {
            return new \WP_Error(
                'multisite_webhooks_unknown_event',
                /* translators: %s: event slug */
                sprintf(__('There is no event called "%s".', 'multisite-webhooks'), $slug),
                ['status' => 404]
            );
        }
        // The bytes a receiver gets, decoded once for the JSON answer.
        return new \WP_REST_Response(json_decode(Payload::fromValue($this->plugin->catalog()->example($slug)) ?? '{}'));
    }

    /**
     * An event type as the API shows it.
     *
     * @param array<string, mixed> $item    An entry of Catalog::all().
     * @param \WP_REST_Request     $request
     * @return \WP_REST_Response
     */
    public function prepare_item_for_response($item, $request)
    {
        return $this->respond([
            'slug' => (string) $item['slug'],
            'name' => (string) $item['name'],
            'description' => (string) $item['description'],
            'source' => (string) $item['source'],
            'payload_example' => $item['payload'] === [] ? new \stdClass() : $item['payload'],
        ], $request, null);
    }

    /**
     * JSON schema of an event type.
     *
     * @return array<string, mixed>
     */
    public function get_item_schema()
    {
        if ($this->schema) {
            return $this->add_additional_fields_schema($this->schema);
        }
        $all = self::ALL_CONTEXTS;
        $this->schema = [
            '$schema' => 'http://json-schema.org/draft-04/schema#',
            'title' => 'multisite-webhook-event',
            'type' => 'object',
            'properties' => [
                'slug' => ['description' => __('Event slug.', 'multisite-webhooks'), 'type' => 'string', 'readonly' => true, 'context' => $all],
                'name' => ['description' => __('Event name.', 'multisite-webhooks'), 'type' => 'string', 'readonly' => true, 'context' => $all],
                'description' => ['description' => __('What raises the event.', 'multisite-webhooks'), 'type' => 'string', 'readonly' => true, 'context' => $all],
                'source' => ['description' => __('Who raises it.', 'multisite-webhooks'), 'type' => 'string', 'enum' => Catalog::SOURCES, 'readonly' => true, 'context' => $all],
                'payload_example' => ['description' => __('An example payload.', 'multisite-webhooks'), 'type' => 'object', 'readonly' => true, 'context' => self::FULL_CONTEXTS],
            ],
        ];
        return $this->add_additional_fields_schema($this->schema);
    }

    /**
     * Query parameters of GET /events.
     *
     * @return array<string, array<string, mixed>>
     */
    public function get_collection_params()
    {
        return [
            'context' => $this->get_context_param(['default' => 'view']),
            'source' => ['description' => __('Only events of this source.', 'multisite-webhooks'), 'type' => 'string', 'enum' => Catalog::SOURCES],
        ];
    }
}
