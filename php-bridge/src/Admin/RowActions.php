<?php
/**
 * Row actions of the plugin's list tables, placed the way WP_List_Table places them.
 *
 * @package MultisiteWebhooks
 */

declare(strict_types=1);

namespace MultisiteWebhooks\Admin;

/**
 * WP_List_Table calls handle_row_actions() for every cell, and row_actions() ends with the
 * "Show more details" toggle of the primary column: actions printed by the column itself
 * as well gave each row two toggles. Here the table only says which actions a row has.
 */
trait RowActions
{
    /**
     * The actions of one row, keyed by name, as HTML.
     *
     * @param array<string, mixed> $item
     * @return array<string, string>
     */
    abstract protected function rowActions(array $item): array;

    /**
     * @param array<string, mixed> $item
     * @param string               $column_name
     * @param string               $primary
     */
    protected function handle_row_actions($item, $column_name, $primary): string
    {
        return $column_name === $primary ? $this->row_actions($this->rowActions((array) $item)) : '';
    }
}
