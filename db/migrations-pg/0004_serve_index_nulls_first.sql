DROP INDEX "items_serve_least_idx";--> statement-breakpoint
DROP INDEX "items_serve_fixed_idx";--> statement-breakpoint
CREATE INDEX "items_serve_least_idx" ON "items" USING btree ("project_id","status","is_gold","priority" DESC NULLS FIRST,"annotation_count","id");--> statement-breakpoint
CREATE INDEX "items_serve_fixed_idx" ON "items" USING btree ("project_id","status","is_gold","priority" DESC NULLS FIRST,"id");