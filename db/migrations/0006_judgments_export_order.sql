DROP INDEX `judgments_project_idx`;--> statement-breakpoint
CREATE INDEX `judgments_project_created_idx` ON `judgments` (`project_id`,`created_at`,`id`);