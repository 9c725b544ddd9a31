ALTER TABLE `items` ADD `repeat_of_item_id` integer REFERENCES items(id) ON DELETE cascade;--> statement-breakpoint
CREATE INDEX `items_repeat_idx` ON `items` (`repeat_of_item_id`);