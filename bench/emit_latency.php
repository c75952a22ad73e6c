<?php
/**
 * hooks_emit latency as PHP sees it: the library loaded with FFI::cdef from the generated
 * header, one hrtime(true) pair around each call, a 1 KB payload, 3 endpoints hearing the event.
 *
 * php emit_latency.php <lib.so> <header.h> <settings.json> <snapshot.json> <payload.json>
 *                      <warmup> <count> <max_seconds>
 *
 * Prints one JSON object: n, p50_ns, p99_ns, p999_ns, max_ns, mean_ns, errors, version.
 */

declare(strict_types=1);

if ($argc !== 9) {
    fwrite(STDERR, "usage: php emit_latency.php lib header settings snapshot payload warmup count max_seconds\n");
    exit(2);
}
[, $lib, $header, $settingsFile, $snapshotFile, $payloadFile, $warmup, $count, $maxSeconds] = $argv;
$warmup = (int) $warmup;
$count = (int) $count;
$maxNs = (int) ((float) $maxSeconds * 1e9);

$ffi = FFI::cdef(file_get_contents($header), $lib);

function check(FFI $ffi, int $status, string $what): void
{
    if ($status !== 0) {
        fwrite(STDERR, "$what: status $status: " . $ffi->hooks_last_error() . "\n");
        exit(1);
    }
}

$settings = file_get_contents($settingsFile);
check($ffi, $ffi->hooks_init($settings, strlen($settings)), 'hooks_init');
$snapshot = file_get_contents($snapshotFile);
$answer = $ffi->new('char *');
$answerLen = $ffi->new('size_t');
check($ffi, $ffi->hooks_configure($snapshot, strlen($snapshot), FFI::addr($answer), FFI::addr($answerLen)), 'hooks_configure');
$configured = json_decode(FFI::string($answer, $answerLen->cdata), true);
$ffi->hooks_string_free($answer);
if (!empty($configured['rejected'])) {
    fwrite(STDERR, 'hooks_configure left endpoints out: ' . json_encode($configured['rejected']) . "\n");
    exit(1);
}

$event = 'payment_received';
$eventLen = strlen($event);
$template = file_get_contents($payloadFile);
$id = $ffi->new('char *');
$idLen = $ffi->new('size_t');
$idPtr = FFI::addr($id);
$idLenPtr = FFI::addr($idLen);

// Payloads differ per event (like real ones) and are built before the clock starts.
$total = $warmup + $count;
$payloads = [];
for ($i = 0; $i < $total; $i++) {
    $payloads[] = str_replace('"n":0', '"n":' . $i, $template);
}

$samples = [];
$errors = 0;
$began = hrtime(true);
for ($i = 0; $i < $total; $i++) {
    $p = $payloads[$i];
    $len = strlen($p);
    $t0 = hrtime(true);
    $status = $ffi->hooks_emit($event, $eventLen, $p, $len, $idPtr, $idLenPtr);
    $t1 = hrtime(true);
    if ($status !== 0) {
        $errors++;
        continue;
    }
    $ffi->hooks_string_free($id);
    if ($i >= $warmup) {
        $samples[] = $t1 - $t0;
        if ($t1 - $began > $maxNs) {
            break;
        }
    }
}

$n = count($samples);
if ($n === 0) {
    fwrite(STDERR, "no successful emit measured (errors: $errors)\n");
    exit(1);
}
sort($samples);
$rank = static fn (float $q): int => $samples[max(0, (int) ceil($q * $n) - 1)];
echo json_encode([
    'n' => $n,
    'p50_ns' => $rank(0.50),
    'p99_ns' => $rank(0.99),
    'p999_ns' => $rank(0.999),
    'max_ns' => $samples[$n - 1],
    'mean_ns' => (int) (array_sum($samples) / $n),
    'errors' => $errors,
    'version' => $ffi->hooks_version(),
]), "\n";

// Leave the events to whoever delivers next; do not wait for delivery here.
$ffi->hooks_shutdown(0);
