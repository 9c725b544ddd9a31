CREATE INDEX `assignments_item_live_idx` ON `assignments` (`item_id`,`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `assignments_user_idx` ON `assignments` (`user_id`,`status`);--> statement-breakpoint
CREATE INDEX `items_prompt_idx` ON `items` (`prompt_id`);--> statement-breakpoint
CREATE INDEX `items_serve_least_idx` ON `items` (`project_id`,`status`,`is_gold`,"priority" desc,`annotation_count`,`id`);--> statement-breakpoint
CREATE INDEX `items_serve_fixed_idx` ON `items` (`project_id`,`status`,`is_gold`,"priority" desc,`id`);--> statement-breakpoint
CREATE INDEX `judgments_user_idx` ON `judgments` (`user_id`,`project_id`,`created_at`);