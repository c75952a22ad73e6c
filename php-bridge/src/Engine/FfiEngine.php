<?php
/**
 * The engine over PHP's FFI extension.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Engine;

use MultisiteWebhooks\Payload;

/**
 * Calls the engine library through \FFI.
 *
 * Strings go in with their byte length (so they may hold any bytes). Strings the library
 * hands over (`char **` + `size_t *`) are copied into PHP and always freed with
 * hooks_string_free, whether the call succeeded or not. Borrowed `const char *` returns
 * (the version, the last error) arrive as PHP strings already.
 */
final class FfiEngine implements Engine
{
    /** Flags for every JSON document given to the engine. */
    private const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR;

    /** Largest value of a C uint32_t argument. */
    private const UINT32_MAX = 4294967295;

    /** @var \FFI An FFI instance declaring the functions of include/multisite_webhooks.h. */
    private \FFI $ffi;

    /**
     * @param \FFI $ffi An FFI instance declaring the functions of the engine's header.
     */
    public function __construct(\FFI $ffi)
    {
        $this->ffi = $ffi;
    }

    /**
     * Loads the library with its generated header (the "cdef" route).
     *
     * @param string $headerPath  Path of include/multisite_webhooks.h.
     * @param string $libraryPath Path of libmultisite_webhooks.so (made absolute here, as
     *                            dlopen would otherwise search the library path).
     *
     * @throws \RuntimeException When FFI is missing or a file cannot be read.
     * @throws \FFI\Exception    When the library cannot be loaded or the header parsed.
     */
    public static function fromHeader(string $headerPath, string $libraryPath): self
    {
        self::requireFfi();
        $header = is_file($headerPath) ? file_get_contents($headerPath) : false;
        if (false === $header) {
            throw new \RuntimeException(sprintf('engine: cannot read the header %s', $headerPath));
        }
        $library = realpath($libraryPath);
        if (false === $library || !is_file($library)) {
            throw new \RuntimeException(sprintf('engine: the library %s does not exist', $libraryPath));
        }
        return new self(\FFI::cdef($header, $library));
    }

    /**
     * Uses a scope preloaded with ffi.preload (the route for PHP-FPM with ffi.enable=preload).
     *
     * @param string $scope The FFI_SCOPE name the preloaded header declares.
     *
     * @throws \RuntimeException When FFI is missing.
     * @throws \FFI\Exception    When no such scope was preloaded.
     */
    public static function fromScope(string $scope): self
    {
        self::requireFfi();
        return new self(\FFI::scope($scope));
    }

    private static function requireFfi(): void
    {
        if (!extension_loaded('ffi')) {
            throw new \RuntimeException('engine: the PHP FFI extension is not loaded');
        }
    }

    public function version(): string
    {
        return $this->ffi->hooks_version();
    }

    public function delivers(): bool
    {
        return true;
    }

    public function init(array $settings): void
    {
        $json = self::encodeObject($settings);
        $this->check($this->ffi->hooks_init($json, strlen($json)));
    }

    public function configure(array $snapshot): array
    {
        $json = self::encodeObject($snapshot);
        $r = self::decode($this->owned('hooks_configure', $json, strlen($json)));
        return [
            'applied' => !empty($r['applied']),
            'version' => (int) ($r['version'] ?? 0),
            'endpoints' => (int) ($r['endpoints'] ?? 0),
            'rejected' => array_values(array_filter((array) ($r['rejected'] ?? []), 'is_array')),
        ];
    }

    public function configuredVersion(): int
    {
        $version = $this->ffi->new('uint64_t');
        $this->check($this->ffi->hooks_configured_version(\FFI::addr($version)));
        return $version->cdata;
    }

    public function emit(string $event, array|string $payload): string
    {
        if (is_array($payload)) {
            $payload = self::encodePayload($payload);
        }
        $out = $this->ffi->new('char *');
        $len = $this->ffi->new('size_t');
        try {
            $this->check($this->ffi->hooks_emit($event, strlen($event), $payload, strlen($payload), \FFI::addr($out), \FFI::addr($len)));
            return \FFI::string($out, $len->cdata);
        } finally {
            $this->ffi->hooks_string_free($out);
        }
    }

    public function emitAs(string $id, string $event, string $payload): void
    {
        $this->check($this->ffi->hooks_emit_as($event, strlen($event), $id, strlen($id), $payload, strlen($payload)));
    }

    public function sendTest(array $request): array
    {
        $json = self::encodeRequest($request);
        return self::decode($this->owned('hooks_send_test', $json, strlen($json)));
    }

    public function checkUrl(string $url): array
    {
        return self::decode($this->owned('hooks_check_url', $url, strlen($url)));
    }

    public function flush(int $timeoutMs): bool
    {
        $status = $this->ffi->hooks_flush(self::uint32($timeoutMs, 'timeoutMs'));
        if (EngineException::TIMEOUT === $status) {
            return false;
        }
        $this->check($status);
        return true;
    }

    public function stats(): array
    {
        return self::decode($this->owned('hooks_stats'));
    }

    public function takeResults(int $max = 500, int $maxBytes = 4194304): array
    {
        if ($max < 1 || $max > 10000) {
            throw new \InvalidArgumentException(sprintf('takeResults: max must be 1 to 10000, got %d', $max));
        }
        if ($maxBytes < 65536 || $maxBytes > 67108864) {
            throw new \InvalidArgumentException(sprintf('takeResults: maxBytes must be 65536 to 67108864, got %d', $maxBytes));
        }
        $r = self::decode($this->owned('hooks_take_results', $max, $maxBytes));
        return [
            'events' => array_values(array_filter((array) ($r['events'] ?? []), 'is_array')),
            'attempts' => array_values(array_filter((array) ($r['attempts'] ?? []), 'is_array')),
            'ack' => (string) ($r['ack'] ?? ''),
            'more' => !empty($r['more']),
            'dropped' => (int) ($r['dropped'] ?? 0),
        ];
    }

    public function ackResults(string $token): void
    {
        $this->check($this->ffi->hooks_ack_results($token, strlen($token)));
    }

    public function redeliver(array $request): void
    {
        $json = self::encodeRequest($request);
        $this->check($this->ffi->hooks_redeliver($json, strlen($json)));
    }

    public function shutdown(int $timeoutMs): void
    {
        $status = $this->ffi->hooks_shutdown(self::uint32($timeoutMs, 'timeoutMs'));
        if (EngineException::TIMEOUT !== $status) {
            $this->check($status);
        }
    }

    /**
     * Throws the engine's last error when $status is not 0.
     *
     * @throws EngineException
     */
    private function check(int $status): void
    {
        if (0 !== $status) {
            throw new EngineException($status, (string) $this->ffi->hooks_last_error(), null, (string) $this->ffi->hooks_last_error_kind());
        }
    }

    private static function uint32(int $value, string $name): int
    {
        if ($value < 0 || $value > self::UINT32_MAX) {
            throw new \InvalidArgumentException(sprintf('%s must be 0 to %d, got %d', $name, self::UINT32_MAX, $value));
        }
        return $value;
    }

    /**
     * Encodes an array as a JSON object ([] becomes {}).
     *
     * @param array<mixed> $value
     *
     * @throws EngineException INVALID_UTF8 or INVALID_JSON when PHP cannot encode it.
     */
    private static function encodeObject(array $value): string
    {
        if ([] === $value) {
            return '{}';
        }
        try {
            return json_encode($value, self::JSON_FLAGS);
        } catch (\JsonException $e) {
            throw self::jsonFailure($e);
        }
    }

    /**
     * Encodes a send-test or redeliver request. Its `payload` may be an array (encoded as an
     * object) or the JSON text of an object, which is passed on byte for byte.
     *
     * @param array<string, mixed> $request
     *
     * @throws EngineException INVALID_JSON or INVALID_UTF8 for a payload that is not a JSON object.
     */
    private static function encodeRequest(array $request): string
    {
        $raw = null;
        if (array_key_exists('payload', $request)) {
            if (is_array($request['payload']) || $request['payload'] instanceof \stdClass) {
                $request['payload'] = self::encodePayload((array) $request['payload']);
            }
            if (is_string($request['payload'])) {
                $raw = $request['payload'];
                try {
                    $decoded = json_decode($raw, false, 512, JSON_THROW_ON_ERROR);
                } catch (\JsonException $e) {
                    throw self::jsonFailure($e);
                }
                if (!$decoded instanceof \stdClass) {
                    throw new EngineException(EngineException::INVALID_JSON, 'json: the payload must be a JSON object ({…})');
                }
                $request['payload'] = $marker = '@@payload-' . bin2hex(random_bytes(8)) . '@@';
            }
        }
        if ([] === $request) {
            return '{}';
        }
        try {
            $json = json_encode($request, self::JSON_FLAGS);
        } catch (\JsonException $e) {
            throw self::jsonFailure($e);
        }
        if (null !== $raw) {
            // The raw payload was checked to be one JSON object, so splicing it in is safe.
            $json = str_replace('"' . $marker . '"', $raw, $json);
        }
        return $json;
    }

    /**
     * A payload array as the JSON text every surface sends (the plugin's one encoder).
     *
     * @param array<mixed> $payload
     *
     * @throws EngineException INVALID_UTF8 or INVALID_JSON when it cannot be encoded.
     */
    private static function encodePayload(array $payload): string
    {
        $json = Payload::encode($payload);
        if (null === $json) {
            $utf8 = JSON_ERROR_UTF8 === json_last_error();
            throw new EngineException(
                $utf8 ? EngineException::INVALID_UTF8 : EngineException::INVALID_JSON,
                'json: the payload could not be encoded as JSON: ' . lcfirst(json_last_error_msg()),
                null,
                $utf8 ? 'invalid_utf8' : 'invalid_json'
            );
        }
        return $json;
    }

    private static function jsonFailure(\JsonException $e): EngineException
    {
        $status = JSON_ERROR_UTF8 === $e->getCode() ? EngineException::INVALID_UTF8 : EngineException::INVALID_JSON;
        return new EngineException($status, 'json: ' . lcfirst($e->getMessage()), $e);
    }

    /**
     * @return array<mixed>
     *
     * @throws EngineException INTERNAL when the engine's output is not JSON (a bug).
     */
    private static function decode(string $json): array
    {
        try {
            $value = json_decode($json, true, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new EngineException(EngineException::INTERNAL, 'engine: output is not JSON: ' . $e->getMessage(), $e);
        }
        if (!is_array($value)) {
            throw new EngineException(EngineException::INTERNAL, 'engine: output is not a JSON object or array');
        }
        return $value;
    }

    /**
     * Calls `$function(...$args, char **out, size_t *out_len)`, checks its status and returns
     * the owned string it wrote (freed here).
     *
     * @param mixed ...$args
     */
    private function owned(string $function, ...$args): string
    {
        $out = $this->ffi->new('char *');
        $len = $this->ffi->new('size_t');
        try {
            $this->check($this->ffi->$function(...array_merge($args, [\FFI::addr($out), \FFI::addr($len)])));
            return \FFI::string($out, $len->cdata);
        } finally {
            $this->ffi->hooks_string_free($out);
        }
    }
}
