<?php
/**
 * The delivery worker (`wp webhook worker`): one long-running process that leads delivery for
 * this server, so page-serving PHP-FPM workers only enqueue — and the path that makes a pool
 * without FFI first-class: it drains the database outbox continuously.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks;

use MultisiteWebhooks\Engine\EngineException;

/**
 * Leads delivery, moves the outbox in, imports results, prunes; stops after a time or memory
 * budget (its supervisor starts it again, as PHP-FPM's pm.max_requests recycles workers) or
 * on SIGTERM/SIGINT, handing over attempts in flight.
 */
final class Worker
{
    private Plugin $plugin;
    private bool $stop = false;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Runs until `$maxSeconds` pass, memory passes `$maxMb`, or a stop signal arrives.
     * `$status` (if given) receives a status line every `$statusEvery` seconds. The process
     * lowers its CPU priority by `$nice` first, so page-serving PHP on the same cores is not
     * held up by deliveries.
     *
     * @param callable(string):void|null $status
     * @return array{reason:string, seconds:float, moved:int, imported:int, pruned:int, jobs:int}
     *
     * @throws \RuntimeException When this process cannot load the engine (FFI unavailable).
     */
    public function run(int $maxSeconds = 3600, int $maxMb = 256, float $interval = 0.2, ?callable $status = null, float $statusEvery = 10.0, int $nice = 10): array
    {
        // Page views come first: the engine's delivery threads, started below, inherit this.
        if ($nice > 0 && function_exists('proc_nice')) {
            @proc_nice($nice); // Silenced: a refusal only costs latency.
        }
        $this->plugin->becomeDeliveryWorker();
        $engine = $this->plugin->engine();
        if (!$engine->delivers()) {
            throw new \RuntimeException($this->plugin->loader()->reason() . ' ' . $this->plugin->loader()->fix());
        }
        $this->trapSignals();
        $started = microtime(true);
        $done = ['reason' => 'time', 'seconds' => 0.0, 'moved' => 0, 'imported' => 0, 'pruned' => 0, 'jobs' => 0];
        $nextStatus = $started + $statusEvery;
        $nextUpkeep = 0.0;
        $nextBeat = 0.0;
        $refused = [$this->plugin->emitter(), 'refuseFromOutbox'];
        while (true) {
            try {
                if (microtime(true) >= $nextBeat) {
                    // Web requests without the engine hand their jobs over while this is fresh.
                    $nextBeat = microtime(true) + 5.0;
                    $this->plugin->jobs()->beat((int) $started);
                }
                $done['jobs'] += $this->plugin->operations()->runJobs(1.0);
                // Takes delivery over when no process leads (and keeps it while it lives).
                $engine->flush(0);
                $now = microtime(true);
                if ($now >= $nextUpkeep) {
                    // Once a second: configuration, rotated secrets, addresses to judge, pruning.
                    $nextUpkeep = $now + 1.0;
                    $tick = Cron::tick($this->plugin, 0.5);
                    $done['moved'] += $tick['moved'];
                    $done['imported'] += $tick['imported'];
                    $done['pruned'] += $tick['pruned'];
                } else {
                    $done['moved'] += $this->plugin->outbox()->drain($engine, $refused);
                    $done['imported'] += $this->plugin->importer()->run(0.2);
                }
            } catch (EngineException $e) {
                $this->plugin->emitter()->noteError($e->getMessage(), $e->kind());
            } catch (\Throwable $e) {
                // A database hiccup must not end the worker: noted, and the next round tries again.
                $this->plugin->emitter()->noteError($e->getMessage(), 'internal');
            }
            $now = microtime(true);
            if ($status !== null && $now >= $nextStatus) {
                $nextStatus = $now + $statusEvery;
                $status($this->statusLine($done, $now - $started));
            }
            if ($this->stop) {
                $done['reason'] = 'signal';
                break;
            }
            if ($now - $started >= $maxSeconds) {
                break;
            }
            if (memory_get_usage(true) > $maxMb << 20) {
                $done['reason'] = 'memory';
                break;
            }
            usleep((int) ($interval * 1e6));
        }
        // Hand over: attempts in flight get a moment and are recorded; the rest stays in the
        // spool for the next leader (its supervisor's next worker, or a web worker).
        try {
            $engine->shutdown(2000);
        } catch (EngineException $e) {
            $this->plugin->emitter()->noteError($e->getMessage(), $e->kind());
        }
        $done['imported'] += $this->plugin->importer()->run(2.0);
        $this->plugin->jobs()->stopped();
        $done['seconds'] = round(microtime(true) - $started, 1);
        return $done;
    }

    /**
     * @param array{moved:int, imported:int, jobs:int} $done
     */
    private function statusLine(array $done, float $seconds): string
    {
        try {
            $s = $this->plugin->engine()->stats();
        } catch (EngineException $e) {
            $s = [];
        }
        return sprintf(
            '%ds: leading=%s queue=%d delivered=%d failed=%d outbox moved=%d imported=%d jobs=%d memory=%.1f MB',
            (int) $seconds,
            !empty($s['is_leader']) ? 'yes' : 'no',
            (int) ($s['queue_depth'] ?? 0),
            (int) ($s['delivered'] ?? 0),
            (int) ($s['failed'] ?? 0),
            $done['moved'],
            $done['imported'],
            $done['jobs'],
            memory_get_usage(true) / 1048576
        );
    }

    private function trapSignals(): void
    {
        if (!function_exists('pcntl_async_signals')) {
            return;
        }
        pcntl_async_signals(true);
        foreach ([SIGTERM, SIGINT, SIGHUP] as $signal) {
            pcntl_signal($signal, function (): void {
                $this->stop = true;
            });
        }
    }
}
