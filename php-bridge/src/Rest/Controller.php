<?php
/**
 * The REST API (`multisite-webhooks/v1`): webhooks, the event catalog and the delivery log,
 * for network administrators and for integrations such as Zapier (REST Hooks: subscribe with
 * POST /webhooks, unsubscribe with DELETE /webhooks/<id>, sample data from
 * /events/<slug>/example).
 *
 * One controller per resource, each a WP_REST_Controller, so `_fields`, `context`, `_links`,
 * `_embed` and the schema on OPTIONS work as they do for WordPress's own routes.
 * Authentication is WordPress core's (cookie + nonce, or application passwords); every route
 * requires the plugin's capability (Plugin::CAPABILITY).
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Rest;

use MultisiteWebhooks\Plugin;

/**
 * What the plugin's controllers share: the namespace, the permission rule, paging, dates.
 */
abstract class Controller extends \WP_REST_Controller
{
    /** Route namespace. */
    public const ROUTE_NAMESPACE = 'multisite-webhooks/v1';

    /** The controllers, one per resource, registered on `rest_api_init`. */
    public const RESOURCES = [WebhooksController::class, EventsController::class, DeliveriesController::class];

    /** Every context a field can be shown in. */
    protected const ALL_CONTEXTS = ['view', 'edit', 'embed'];

    /** Contexts of a field left out of embedded objects. */
    protected const FULL_CONTEXTS = ['view', 'edit'];

    protected Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
        $this->namespace = self::ROUTE_NAMESPACE;
    }

    /**
     * Registers the routes of every resource.
     */
    public static function registerAll(Plugin $plugin): void
    {
        foreach (self::RESOURCES as $class) {
            (new $class($plugin))->register_routes();
        }
    }

    /**
     * Every route: network administrators only. Answers 401 to anonymous callers and 403 to
     * logged-in users without the capability.
     *
     * @return true|\WP_Error
     */
    public function permission(\WP_REST_Request $request)
    {
        if (current_user_can(Plugin::CAPABILITY)) {
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

    /**
     * @param \WP_REST_Request $request
     * @return true|\WP_Error
     */
    public function get_items_permissions_check($request)
    {
        return $this->permission($request);
    }

    /**
     * @param \WP_REST_Request $request
     * @return true|\WP_Error
     */
    public function get_item_permissions_check($request)
    {
        return $this->permission($request);
    }

    /**
     * @param \WP_REST_Request $request
     * @return true|\WP_Error
     */
    public function create_item_permissions_check($request)
    {
        return $this->permission($request);
    }

    /**
     * @param \WP_REST_Request $request
     * @return true|\WP_Error
     */
    public function update_item_permissions_check($request)
    {
        return $this->permission($request);
    }

    /**
     * @param \WP_REST_Request $request
     * @return true|\WP_Error
     */
    public function delete_item_permissions_check($request)
    {
        return $this->permission($request);
    }

    /**
     * The GET endpoint of the collection (`$item` false) or of one item, for register_rest_route().
     *
     * @param array<string, array<string, mixed>> $args
     * @return array<string, mixed>
     */
    protected function readEndpoint(array $args, bool $item): array
    {
        return [
            'methods' => \WP_REST_Server::READABLE,
            'callback' => [$this, $item ? 'get_item' : 'get_items'],
            'permission_callback' => [$this, $item ? 'get_item_permissions_check' : 'get_items_permissions_check'],
            'args' => $args,
        ];
    }

    /**
     * The route of this resource's collection (`/multisite-webhooks/v1/<base>`).
     */
    protected function collectionRoute(): string
    {
        return '/' . $this->namespace . '/' . $this->rest_base;
    }

    /**
     * A record shaped for the request: additional fields registered by others, the fields of
     * the requested context, and links unless `_fields` leaves them out.
     *
     * @param array<string, mixed>                      $data
     * @param array<string, array<string, mixed>>|null $links
     */
    protected function respond(array $data, \WP_REST_Request $request, ?array $links, string $defaultContext = 'view'): \WP_REST_Response
    {
        $context = !empty($request['context']) ? (string) $request['context'] : $defaultContext;
        $data = $this->add_additional_fields_to_object($data, $request);
        $data = $this->filter_response_by_context($data, $context);
        $response = rest_ensure_response($data);
        $fields = $this->get_fields_for_response($request);
        if ($links !== null && (rest_is_field_included('_links', $fields) || rest_is_field_included('_embedded', $fields))) {
            $response->add_links($links);
        }
        return $response;
    }

    /**
     * A collection response with WordPress's paging headers (X-WP-Total, X-WP-TotalPages).
     *
     * @param list<\WP_REST_Response> $items
     */
    protected function paged(array $items, int $total, int $per): \WP_REST_Response
    {
        $response = new \WP_REST_Response(array_map([$this, 'prepare_response_for_collection'], $items));
        $response->header('X-WP-Total', (string) $total);
        $response->header('X-WP-TotalPages', (string) (int) ceil($total / max(1, $per)));
        return $response;
    }

    /**
     * `page` and `per_page` as every collection of the plugin takes them.
     *
     * @return array<string, array<string, mixed>>
     */
    protected static function pagingParams(): array
    {
        return [
            'page' => ['description' => __('Page of the collection.', 'multisite-webhooks'), 'type' => 'integer', 'minimum' => 1, 'default' => 1],
            'per_page' => ['description' => __('Items per page.', 'multisite-webhooks'), 'type' => 'integer', 'minimum' => 1, 'maximum' => 100, 'default' => 20],
        ];
    }

    /**
     * The `id` argument of an item route.
     *
     * @return array<string, array<string, mixed>>
     */
    protected static function idArg(string $description): array
    {
        return ['id' => ['description' => $description, 'type' => 'integer', 'minimum' => 1, 'required' => true]];
    }

    /**
     * A date field of a schema (ISO 8601 in GMT, or null).
     *
     * @param list<string> $context
     * @return array<string, mixed>
     */
    protected static function dateProperty(string $description, array $context = self::FULL_CONTEXTS): array
    {
        return ['description' => $description, 'type' => ['string', 'null'], 'format' => 'date-time', 'readonly' => true, 'context' => $context];
    }

    /**
     * A GMT MySQL date as ISO 8601 (`2025-01-31T12:00:00Z`), or null.
     *
     * @param mixed $value
     */
    protected static function date($value): ?string
    {
        if (!is_string($value) || $value === '' || strpos($value, '0000-00-00') === 0) {
            return null;
        }
        $t = strtotime($value . ' UTC');
        return $t === false ? null : gmdate('Y-m-d\TH:i:s\Z', $t);
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

    /**
     * A 404 for a record that does not exist.
     *
     * @param string $message Sentence with one %d, the id.
     */
    protected static function notFound(string $message, int $id): \WP_Error
    {
        return new \WP_Error('multisite_webhooks_not_found', sprintf($message, $id), ['status' => 404]);
    }
}
