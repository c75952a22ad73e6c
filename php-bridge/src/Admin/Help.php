<?php
/**
 * The Help tab of each page (WordPress's `add_help_tab`): what the page is for.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

/**
 * Help tabs of the plugin's screens.
 */
final class Help
{
    /**
     * `load-<screen>` of every page: adds that page's help tabs and the sidebar.
     */
    public static function add(): void
    {
        $screen = get_current_screen();
        $page = isset($_GET['page']) ? sanitize_key(wp_unslash((string) $_GET['page'])) : ''; // No nonce needed: which help to show.
        if ($screen === null) {
            return;
        }
        foreach (self::tabs($page) as $id => [$title, $paragraphs]) {
            $screen->add_help_tab([
                'id' => 'mwh-help-' . $id,
                'title' => $title,
                'content' => implode('', array_map(static fn ($p): string => '<p>' . esc_html(implode(' ', (array) $p)) . '</p>', $paragraphs)),
            ]);
        }
        $screen->set_help_sidebar(sprintf(
            '<p><strong>%s</strong></p><p><a href="%s">%s</a></p><p><a href="%s">%s</a></p>',
            esc_html__('More', 'multisite-webhooks'),
            esc_url(Admin::url(Admin::PAGE_EVENTS)),
            esc_html__('Every event and its payload', 'multisite-webhooks'),
            esc_url(Admin::url(Admin::PAGE_HEALTH)),
            esc_html__('Is delivery working?', 'multisite-webhooks')
        ));
    }

    /**
     * The tabs of one page: id => [title, paragraphs]; a paragraph is a sentence, or a list
     * of sentences (each translated whole).
     *
     * @return array<string, array{0:string, 1:list<string|list<string>>}>
     */
    public static function tabs(string $page): array
    {
        $signing = [
            __('Signatures', 'multisite-webhooks'),
            [
                [
                    __('Every request is signed the Standard Webhooks way, in the headers webhook-id, webhook-timestamp and webhook-signature.', 'multisite-webhooks'),
                    __('The signature is an HMAC-SHA256 of "id.timestamp.body" with the webhook\'s secret.', 'multisite-webhooks'),
                ],
                [
                    __('A receiver checks the signature and that the timestamp is recent, and can skip a webhook-id it has already seen.', 'multisite-webhooks'),
                    __('The Edit page of each webhook has code to copy for PHP, Node.js and Python.', 'multisite-webhooks'),
                ],
            ],
        ];
        switch ($page) {
            case Admin::PAGE_LIST:
                return [
                    'overview' => [__('Overview', 'multisite-webhooks'), [
                        __('Each webhook sends the events it listens to, from every site of the network, to one URL as an HTTP POST with a JSON body.', 'multisite-webhooks'),
                        [
                            __('Events are queued durably and sent in the background, so the page that raised them does not wait.', 'multisite-webhooks'),
                            __(
                                'A failed delivery is retried on a schedule; a webhook whose receiver answers 410 Gone or keeps failing for days is disabled, and the reason is shown here.',
                                'multisite-webhooks'
                            ),
                        ],
                    ]],
                    'columns' => [__('Columns', 'multisite-webhooks'), [
                        [
                            __('Status says whether the webhook receives events; Runs counts events delivered; Failures counts failed attempts in the last 24 hours.', 'multisite-webhooks'),
                            __('A test send is shown as "last test" and is not counted.', 'multisite-webhooks'),
                        ],
                        __('Webhooks marked "hidden" were made by an integration (Ultimate Multisite hides those Zapier made); they receive events like any other.', 'multisite-webhooks'),
                    ]],
                    'signing' => $signing,
                ];
            case Admin::PAGE_EDIT:
                return [
                    'overview' => [__('Overview', 'multisite-webhooks'), [
                        [
                            __('Give the webhook a name, the URL that receives the events and the events it listens to.', 'multisite-webhooks'),
                            __('The example payloads below the form show what the receiver gets.', 'multisite-webhooks'),
                        ],
                        __('Send Test Event sends one real, signed request now; the answer is shown at once and kept in the delivery log as a test.', 'multisite-webhooks'),
                    ]],
                    'headers' => [__('Headers and secrets', 'multisite-webhooks'), [
                        [
                            __('The signing secret is shown once, after the webhook is created or its secret rotated.', 'multisite-webhooks'),
                            __('After a rotation the old secret keeps signing for 24 hours, so receivers can switch without losing events.', 'multisite-webhooks'),
                        ],
                        __('Headers of its own (for example Authorization) are sent with every request. Like the secret, their values are never shown again after saving.', 'multisite-webhooks'),
                    ]],
                    'signing' => $signing,
                ];
            case Admin::PAGE_LOG:
                return [
                    'overview' => [__('Overview', 'multisite-webhooks'), [
                        __('Every event sent to every webhook, newest first, with each attempt: its time, the HTTP status and how long the receiver took.', 'multisite-webhooks'),
                        __('Filter by webhook, status, event and date; the filters stay in the address, so a filtered view can be bookmarked or shared.', 'multisite-webhooks'),
                    ]],
                    'redeliver' => [__('Redelivering', 'multisite-webhooks'), [
                        [
                            __('Redeliver sends an event again with the same webhook-id, so a receiver can tell it is a repeat.', 'multisite-webhooks'),
                            __('"Redeliver all failed" does so for every event that failed for good and matches the filters.', 'multisite-webhooks'),
                        ],
                    ]],
                ];
            case Admin::PAGE_EVENTS:
                return [
                    'overview' => [__('Overview', 'multisite-webhooks'), [
                        [
                            __('Every event a webhook can listen to:', 'multisite-webhooks'),
                            __('WordPress\'s own (sites, users, posts), Ultimate Multisite\'s when it is active, and any a plugin registers with hooks_emit().', 'multisite-webhooks'),
                        ],
                        __('Each event lists the fields of its payload and an example, which is also what Send Test Event sends.', 'multisite-webhooks'),
                    ]],
                ];
            case Admin::PAGE_HEALTH:
                return [
                    'overview' => [__('Overview', 'multisite-webhooks'), [
                        [
                            __(
                                'Whether this server delivers events, and how: through PHP\'s FFI in this process, or through the outbox and a worker when PHP-FPM has FFI turned off.',
                                'multisite-webhooks'
                            ),
                            __('When something is missing, the line to add is shown.', 'multisite-webhooks'),
                        ],
                        __('The queue figures say how many events wait, are being sent or wait for a retry.', 'multisite-webhooks'),
                    ]],
                ];
            case Admin::PAGE_IMPORT:
                return [
                    'overview' => [__('Overview', 'multisite-webhooks'), [
                        __('Copies Ultimate Multisite\'s webhooks here (name, URL, event, active) and takes over sending, so each event is delivered once, signed and retried.', 'multisite-webhooks'),
                        __('Webhooks already imported are not imported twice. Giving sending back lets Ultimate Multisite send to its own list again.', 'multisite-webhooks'),
                    ]],
                ];
        }
        return [];
    }
}
