<?php
/**
 * Verifies a webhook request from Multisite Webhooks — or from any sender that follows the
 * Standard Webhooks scheme — on the receiving side. One file, no dependencies, PHP 7.4 or
 * newer: copy it to any PHP server or another WordPress site and require it.
 *
 *     require __DIR__ . '/verify.php';
 *
 *     $verifier = new \MultisiteWebhooks\Receiver\Verifier(['whsec_…']); // this webhook's secret(s)
 *     try {
 *         $event = $verifier->verify(file_get_contents('php://input'), getallheaders());
 *     } catch (\MultisiteWebhooks\Receiver\VerificationFailed $e) {
 *         http_response_code(400);
 *         exit($e->getMessage());
 *     }
 *     // $event is the payload, decoded; $verifier->lastId() the webhook-id, to drop duplicates
 *     // (a retry carries the same id).
 *
 * What it checks:
 * - `webhook-id`, `webhook-timestamp` and `webhook-signature` are present;
 * - the timestamp is within the tolerance of now (5 minutes by default), so a captured
 *   request cannot be replayed later;
 * - one of the signatures in `webhook-signature` (space-separated `v1,<base64>`; the sender
 *   signs with every active secret while one rotates) is the HMAC-SHA256 of
 *   `id.timestamp.body` under one of the secrets given (give the old and the new secret while
 *   rotating on the receiving side). Compared in constant time.
 *
 * The body must be the raw bytes received: verify before any JSON decoding or re-encoding.
 *
 * It is two classes in one file on purpose: it is meant to be copied alone.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Receiver;

/**
 * Why a request was not accepted. getMessage() says what was wrong, in English, without
 * repeating any secret.
 */
final class VerificationFailed extends \RuntimeException
{
}

/**
 * Checks the signature and timestamp of webhook requests signed with the given secrets.
 */
final class Verifier
{
    /** Seconds a request's timestamp may be off from now, by default (the scheme's 5 minutes). */
    public const DEFAULT_TOLERANCE = 300;

    /** @var list<string> Decoded signing keys. */
    private $keys = [];

    /** @var int */
    private $tolerance;

    /** @var string */
    private $lastId = '';

    /**
     * @param list<string> $secrets   The webhook's secrets (`whsec_` + base64); several while rotating.
     * @param int          $tolerance Seconds the timestamp may differ from now.
     *
     * @throws \InvalidArgumentException When no secret is given or one is not a valid secret.
     */
    public function __construct(array $secrets, int $tolerance = self::DEFAULT_TOLERANCE)
    {
        if ([] === $secrets) {
            throw new \InvalidArgumentException('give at least one secret (whsec_…)');
        }
        foreach (array_values($secrets) as $i => $secret) {
            $raw = 0 === strpos((string) $secret, 'whsec_') ? substr((string) $secret, 6) : (string) $secret;
            $key = base64_decode($raw, true);
            if (false === $key || '' === $key) {
                throw new \InvalidArgumentException(sprintf('secret %d is not whsec_ followed by base64', $i + 1));
            }
            $this->keys[] = $key;
        }
        $this->tolerance = max(0, $tolerance);
    }

    /**
     * Verifies one request and returns its payload, decoded.
     *
     * @param string                       $body    The raw request body.
     * @param array<string, string|string[]> $headers The request headers (any case; as getallheaders() or PSR-7 give them).
     * @param int|null                     $now     The time to check against (seconds); now by default.
     *
     * @return array<mixed> The JSON payload.
     *
     * @throws VerificationFailed When a header is missing, the timestamp is out of tolerance, no
     *                            signature matches, or the body is not a JSON object or array.
     */
    public function verify(string $body, array $headers, ?int $now = null): array
    {
        $this->verifySignature($body, $headers, $now);
        $payload = json_decode($body, true);
        if (!is_array($payload)) {
            throw new VerificationFailed('the body is signed but is not a JSON object or array');
        }
        return $payload;
    }

    /**
     * Verifies one request's signature and timestamp only (for bodies that are not JSON).
     *
     * @param string                       $body    The raw request body.
     * @param array<string, string|string[]> $headers The request headers.
     * @param int|null                     $now     The time to check against (seconds); now by default.
     *
     * @throws VerificationFailed As verify(), but the body may be anything.
     */
    public function verifySignature(string $body, array $headers, ?int $now = null): void
    {
        $this->lastId = '';
        $id = self::header($headers, 'webhook-id');
        $timestamp = self::header($headers, 'webhook-timestamp');
        $signatures = self::header($headers, 'webhook-signature');
        if ('' === $id || '' === $timestamp || '' === $signatures) {
            throw new VerificationFailed('the request lacks a webhook-id, webhook-timestamp or webhook-signature header');
        }
        if (1 !== preg_match('/^[0-9]{1,19}$/', $timestamp)) {
            throw new VerificationFailed('webhook-timestamp is not a number of seconds');
        }
        $now = $now ?? time();
        $age = $now - (int) $timestamp;
        if ($age > $this->tolerance) {
            throw new VerificationFailed(sprintf('the request is too old: signed %d seconds ago, at most %d accepted', $age, $this->tolerance));
        }
        if (-$age > $this->tolerance) {
            throw new VerificationFailed(sprintf('the request is dated %d seconds in the future, at most %d accepted', -$age, $this->tolerance));
        }
        $signed = $id . '.' . $timestamp . '.' . $body;
        foreach ($this->keys as $key) {
            $expected = base64_encode(hash_hmac('sha256', $signed, $key, true));
            foreach (preg_split('/\s+/', trim($signatures)) ?: [] as $entry) {
                $parts = explode(',', $entry, 2);
                if (2 === count($parts) && 'v1' === $parts[0] && hash_equals($expected, $parts[1])) {
                    $this->lastId = $id;
                    return;
                }
            }
        }
        throw new VerificationFailed('no signature matches: the secret differs, or the body or headers were changed on the way');
    }

    /**
     * The webhook-id of the last request that verified ('' after a failure): the same on every
     * retry of one event, so a receiver can drop duplicates.
     */
    public function lastId(): string
    {
        return $this->lastId;
    }

    /**
     * One header's value, looked up without regard to case.
     *
     * @param array<string, string|string[]> $headers
     */
    private static function header(array $headers, string $name): string
    {
        foreach ($headers as $key => $value) {
            if (0 === strcasecmp((string) $key, $name)) {
                return trim(is_array($value) ? implode(' ', $value) : (string) $value);
            }
        }
        return '';
    }
}
