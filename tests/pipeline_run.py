"""Items through the storage pipeline as a crawl hands them over, without a crawl."""

import asyncio

from scrapy.exceptions import DropItem

from watchdog.sources.pipelines import StoragePipeline


def run_pipeline(pipeline: StoragePipeline, items: list) -> None:
    """Open the pipeline, hand it each item in turn (a dropped item is the pipeline's to count), and close it."""

    async def crawl_items():
        pipeline.open_spider()
        for item in items:
            try:
                await pipeline.process_item(item)
            except DropItem:
                pass
        await pipeline.close_spider()

    asyncio.run(crawl_items())
