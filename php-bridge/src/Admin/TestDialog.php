<?php
/**
 * The Send Test Event dialog (filled in by assets/admin.js from the AJAX answer).
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

/**
 * Markup of the dialog; one per page.
 */
final class TestDialog
{
    /**
     * Prints the dialog, closed.
     */
    public static function render(): void
    {
        ?>
        <dialog id="mwh-test-dialog" class="mwh-dialog" aria-labelledby="mwh-test-title">
            <form method="dialog" class="mwh-dialog-inner">
                <h2 id="mwh-test-title"><?php esc_html_e('Send Test Event', 'multisite-webhooks'); ?></h2>
                <p class="mwh-test-sending" aria-live="polite"><span class="spinner is-active"></span> <?php esc_html_e('Sending a signed test request…', 'multisite-webhooks'); ?></p>
                <div class="mwh-test-result" hidden>
                    <p class="mwh-test-verdict" role="status"></p>
                    <table class="widefat mwh-test-facts"><tbody>
                        <tr><th scope="row"><?php esc_html_e('Event', 'multisite-webhooks'); ?></th><td class="mwh-test-event"></td></tr>
                        <tr><th scope="row"><?php esc_html_e('URL', 'multisite-webhooks'); ?></th><td class="mwh-test-url"></td></tr>
                        <tr><th scope="row"><?php esc_html_e('HTTP status', 'multisite-webhooks'); ?></th><td class="mwh-test-status"></td></tr>
                        <tr><th scope="row"><?php esc_html_e('Error', 'multisite-webhooks'); ?></th><td class="mwh-test-error"></td></tr>
                        <tr><th scope="row"><?php esc_html_e('Time taken', 'multisite-webhooks'); ?></th><td class="mwh-test-duration"></td></tr>
                    </tbody></table>
                    <h3><?php esc_html_e('Payload sent', 'multisite-webhooks'); ?></h3>
                    <pre class="mwh-json mwh-test-payload"></pre>
                    <h3><?php esc_html_e('Response body', 'multisite-webhooks'); ?></h3>
                    <pre class="mwh-json mwh-test-body"></pre>
                    <details>
                        <summary><?php esc_html_e('Request headers sent', 'multisite-webhooks'); ?></summary>
                        <pre class="mwh-json mwh-test-request-headers"></pre>
                    </details>
                    <details>
                        <summary><?php esc_html_e('Response headers', 'multisite-webhooks'); ?></summary>
                        <pre class="mwh-json mwh-test-response-headers"></pre>
                    </details>
                    <p class="description mwh-test-log"></p>
                </div>
                <p class="mwh-dialog-actions"><button class="button button-primary" value="close"><?php esc_html_e('Close', 'multisite-webhooks'); ?></button></p>
            </form>
        </dialog>
        <?php
    }
}
