"""Match costs (MATCH_COSTS) for Hungarian assignment."""
from .match_cost import (
                         BBoxL1Cost,
                         ClassificationCost,
                         CrossEntropyLossCost,
                         DiceCost,
                         FocalLossCost,
                         IoUCost,
)

__all__ = ['BBoxL1Cost', 'ClassificationCost', 'CrossEntropyLossCost', 'DiceCost',
           'FocalLossCost', 'IoUCost']
