<?php

declare(strict_types=1);

namespace MultisiteWebhooks\Tests;

use MultisiteWebhooks\MaskedUrl;
use PHPUnit\Framework\TestCase;

/**
 * Credentials in a webhook URL are masked wherever it is shown; the rest of the URL is kept
 * byte for byte, so people still recognise it.
 */
final class MaskedUrlTest extends TestCase
{
    /** @return array<string, array{string, string}> */
    public static function urls(): array
    {
        return [
            'plain' => ['https://crm.example.com/hooks', 'https://crm.example.com/hooks'],
            'token' => ['https://h.example/in?token=abc123', 'https://h.example/in?token=***'],
            'others kept, in order' => ['https://h.example/in?a=1&api_key=s3cr3t&b=&c=2#top', 'https://h.example/in?a=1&api_key=***&b=&c=2#top'],
            'camel case and dashes' => ['https://h.example/?apiKey=x&access-token=y&X-Amz-Signature=z&sig=w', 'https://h.example/?apiKey=***&access-token=***&X-Amz-Signature=***&sig=***'],
            'encoded name' => ['https://h.example/?auth%5Ftoken=x', 'https://h.example/?auth%5Ftoken=***'],
            'not credentials' => ['https://h.example/?page=2&source=um&keyword=', 'https://h.example/?page=2&source=um&keyword='],
            'empty value' => ['https://h.example/?token=', 'https://h.example/?token='],
            'user and password' => ['https://bob:hunter2@h.example/x?token=t', 'https://bob:***@h.example/x?token=***'],
            'user only (a token)' => ['https://tok_123@h.example/', 'https://***@h.example/'],
            'an @ in the path is no user' => ['https://h.example/@team?x=1', 'https://h.example/@team?x=1'],
            'already masked' => ['https://bob:***@h.example/?token=***', 'https://bob:***@h.example/?token=***'],
        ];
    }

    /**
     * @dataProvider urls
     */
    public function testCredentialsAreMaskedAndTheRestKept(string $url, string $shown): void
    {
        $this->assertSame($shown, MaskedUrl::of($url));
        $this->assertSame($shown, MaskedUrl::of($shown), 'masking twice changes nothing');
        $this->assertSame($shown !== $url, MaskedUrl::hasCredentials($url));
    }
}
