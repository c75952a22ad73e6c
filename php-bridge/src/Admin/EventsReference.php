<?php
/**
 * The events reference: every event a webhook can subscribe to, where it comes from, its
 * payload fields and an example.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

use MultisiteWebhooks\Events\Catalog;

/**
 * Renders the catalog for people.
 */
final class EventsReference
{
    private Catalog $catalog;

    public function __construct(Catalog $catalog)
    {
        $this->catalog = $catalog;
    }

    /**
     * Human name of an event source.
     */
    public static function sourceLabel(string $source): string
    {
        switch ($source) {
            case Catalog::SOURCE_WORDPRESS:
                return __('WordPress', 'multisite-webhooks');
            case Catalog::SOURCE_ULTIMATE_MULTISITE:
                return __('Ultimate Multisite', 'multisite-webhooks');
            default:
                return __('Custom code', 'multisite-webhooks');
        }
    }

    /**
     * The fields of a payload as "path" => JSON type, nested objects flattened with dots.
     *
     * @param array<mixed> $payload
     * @return array<string, string>
     */
    public static function fields(array $payload, string $prefix = '', int $depth = 0): array
    {
        $out = [];
        foreach ($payload as $key => $value) {
            $path = $prefix . $key;
            if (is_array($value) && $value !== [] && !array_is_list($value) && $depth < 2) {
                $out[$path] = 'object';
                $out += self::fields($value, $path . '.', $depth + 1);
                continue;
            }
            $out[$path] = is_array($value) ? (array_is_list($value) && $value !== [] ? 'array' : 'object')
                : (is_bool($value) ? 'boolean' : (is_int($value) ? 'integer' : (is_float($value) ? 'number' : ($value === null ? 'null' : 'string'))));
        }
        return $out;
    }

    /**
     * A payload as pretty-printed JSON.
     *
     * @param array<mixed> $payload
     */
    public static function pretty(array $payload): string
    {
        // Laid out for reading; the bytes sent are Payload::encode()'s.
        return (string) wp_json_encode(json_decode(\MultisiteWebhooks\Payload::fromValue($payload) ?? '{}'), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }

    /**
     * Prints the reference.
     */
    public function render(): void
    {
        $events = $this->catalog->all();
        echo '<p class="description">' . esc_html(sprintf(
            /* translators: %d: number of events */
            _n('%d event can trigger a webhook.', '%d events can trigger a webhook.', count($events), 'multisite-webhooks'),
            count($events)
        ) . ' ' . __('Each request carries the event\'s payload as its JSON body (or inside an envelope with type, timestamp and data).', 'multisite-webhooks')
            . ' ' . __('Its headers webhook-id, webhook-timestamp and webhook-signature follow Standard Webhooks.', 'multisite-webhooks')) . '</p>';
        echo '<table class="widefat striped mwh-events-table"><thead><tr>';
        foreach ([__('Event', 'multisite-webhooks'), __('Description', 'multisite-webhooks'), __('Source', 'multisite-webhooks'), __('Payload', 'multisite-webhooks')] as $h) {
            echo '<th scope="col">' . esc_html($h) . '</th>';
        }
        echo '</tr></thead><tbody>';
        foreach ($events as $e) {
            $payload = (array) $e['payload'];
            printf(
                '<tr id="%s"><td><strong>%s</strong><br><code>%s</code></td><td>%s</td><td>%s</td><td>',
                esc_attr('mwh-event-' . $e['slug']),
                esc_html((string) $e['name']),
                esc_html((string) $e['slug']),
                esc_html((string) $e['description']),
                esc_html(self::sourceLabel((string) $e['source']))
            );
            $fields = self::fields($payload);
            if ($fields === []) {
                echo '<span class="description">' . esc_html__('No example payload registered.', 'multisite-webhooks') . '</span>';
            } else {
                echo '<details><summary>' . esc_html(sprintf(
                    /* translators: %d: number of payload fields */
                    _n('%d field', '%d fields', count($fields), 'multisite-webhooks'),
                    count($fields)
                )) . '</summary><ul class="mwh-fields">';
                foreach ($fields as $path => $type) {
                    printf('<li><code>%s</code> <span class="description">%s</span></li>', esc_html($path), esc_html($type));
                }
                echo '</ul><p><strong>' . esc_html__('Example', 'multisite-webhooks') . '</strong></p><pre class="mwh-json">' . esc_html(self::pretty($payload)) . '</pre></details>';
            }
            echo '</td></tr>';
        }
        echo '</tbody></table>';
    }
}
