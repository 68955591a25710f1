"""Official labor-market data: import (OEWS, O*NET, projections, CIP), store, resolve, facts.

The flow: publisher file | parse (pure) | store.replace_source (one transaction per release);
question | resolve (occupation, place, what is asked) | lookup | render facts as numbered sources.
"""
