"""SAM's two-way transformer: prompt and image tokens attend to each other."""
from typing import Optional, Tuple

from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from .layers import Attention, MLPBlock


class TwoWayAttentionBlock(nn.Module):
    """One decoder layer: token self-attention, token-to-image attention,
    token MLP, then image-to-token attention, each followed by a LayerNorm.

    Args:
        embed_dims (int): Channels of tokens and image embedding.
        num_heads (int): Attention heads.
        mlp_dims (int): Hidden channels of the token MLP.
        attention_downsample_rate (int): Channel reduction inside the two
            cross-attentions.
        skip_first_layer_pe (bool): Self-attention of the first layer does not
            re-add the positional embedding (it already is the input) and has
            no residual, as in SAM.
        double_mlp_residual (bool): Add the MLP residual twice
            (``q = 2 q + mlp(q)``). Only for faithfully running the original
            UltraSam release, whose mmcv FFN added the identity on top of a
            manual residual; keep False otherwise.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_dims: int,
                 attention_downsample_rate: int = 2,
                 skip_first_layer_pe: bool = False,
                 double_mlp_residual: bool = False) -> None:
        super().__init__()
        self.self_attn = Attention(embed_dims, num_heads)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.cross_attn_token_to_image = Attention(
            embed_dims, num_heads, downsample_rate=attention_downsample_rate)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.mlp = MLPBlock(embed_dims, mlp_dims)
        self.norm3 = nn.LayerNorm(embed_dims)
        self.norm4 = nn.LayerNorm(embed_dims)
        self.cross_attn_image_to_token = Attention(
            embed_dims, num_heads, downsample_rate=attention_downsample_rate)
        self.skip_first_layer_pe = skip_first_layer_pe
        self.double_mlp_residual = double_mlp_residual

    def forward(
        self,
        queries: Tensor,
        keys: Tensor,
        query_pe: Tensor,
        key_pe: Tensor,
        token_padding_mask: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tensor]:
        """Update tokens (``queries``) and image tokens (``keys``).

        Args:
            queries (Tensor): (B, T, C) prompt and output tokens.
            keys (Tensor): (B, HW, C) image tokens.
            query_pe (Tensor): (B, T, C) positional embedding of the tokens.
            key_pe (Tensor): (1 or B, HW, C) positional embedding of the image.
            token_padding_mask (Tensor, optional): (B, T) bool, True for
                padding tokens, which no other token attends to.

        Returns:
            tuple[Tensor, Tensor]: updated queries and keys.
        """
        if self.skip_first_layer_pe:
            queries = self.self_attn(queries, queries, queries,
                                     token_padding_mask)
        else:
            q = queries + query_pe
            queries = queries + self.self_attn(q, q, queries,
                                               token_padding_mask)
        queries = self.norm1(queries)

        q = queries + query_pe
        k = keys + key_pe
        queries = self.norm2(queries +
                             self.cross_attn_token_to_image(q, k, keys))

        residual = 2 * queries if self.double_mlp_residual else queries
        queries = self.norm3(residual + self.mlp(queries))

        q = queries + query_pe
        k = keys + key_pe
        keys = self.norm4(keys + self.cross_attn_image_to_token(
            k, q, queries, token_padding_mask))
        return queries, keys


@MODELS.register_module()
class TwoWayTransformer(BaseModule):
    """Transformer of SAM's mask decoder.

    ``depth`` :class:`TwoWayAttentionBlock` layers, then a final attention from
    the tokens to the image and a LayerNorm. Module names follow
    segment-anything so its checkpoints map one to one.

    Args:
        depth (int): Number of layers. Defaults to 2.
        embed_dims (int): Channels of tokens and image embedding.
            Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_dims (int): Hidden channels of the token MLPs. Defaults to 2048.
        attention_downsample_rate (int): Channel reduction of the
            token <-> image attentions. Defaults to 2.
        double_mlp_residual (bool): Reproduce the original UltraSam release's
            doubled MLP residual (see :class:`TwoWayAttentionBlock`); needed
            only for its converted checkpoint. Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 depth: int = 2,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 mlp_dims: int = 2048,
                 attention_downsample_rate: int = 2,
                 double_mlp_residual: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.layers = nn.ModuleList(
            TwoWayAttentionBlock(
                embed_dims=embed_dims,
                num_heads=num_heads,
                mlp_dims=mlp_dims,
                attention_downsample_rate=attention_downsample_rate,
                skip_first_layer_pe=(i == 0),
                double_mlp_residual=double_mlp_residual) for i in range(depth))
        self.final_attn_token_to_image = Attention(
            embed_dims, num_heads, downsample_rate=attention_downsample_rate)
        self.norm_final_attn = nn.LayerNorm(embed_dims)

    def forward(
        self,
        image_embedding: Tensor,
        image_pe: Tensor,
        point_embedding: Tensor,
        token_padding_mask: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tensor]:
        """Run the decoder.

        Args:
            image_embedding (Tensor): (B, C, h, w) image embedding, one per
                prompt set.
            image_pe (Tensor): (1 or B, C, h, w) positional embedding of the
                image.
            point_embedding (Tensor): (B, T, C) tokens; also used as their
                positional embedding, as in SAM.
            token_padding_mask (Tensor, optional): (B, T) bool, True for
                padding tokens.

        Returns:
            tuple[Tensor, Tensor]: tokens (B, T, C) and image tokens
            (B, h * w, C).
        """
        keys = image_embedding.flatten(2).transpose(1, 2)
        key_pe = image_pe.flatten(2).transpose(1, 2)
        queries = point_embedding
        for layer in self.layers:
            queries, keys = layer(queries, keys, point_embedding, key_pe,
                                  token_padding_mask)
        q = queries + point_embedding
        k = keys + key_pe
        queries = self.norm_final_attn(
            queries + self.final_attn_token_to_image(q, k, keys))
        return queries, keys
